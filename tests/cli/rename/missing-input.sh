$CKPT rename -o out-rename-missing-input/x a=b nope/model.ckpt
