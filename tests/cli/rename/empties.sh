$CKPT rename -o out-rename-empties/x 's/^beta.*//' sample/model.ckpt-1000
