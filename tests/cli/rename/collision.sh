$CKPT rename -o out-rename-collision/x 's/_1//g' sample/model.ckpt-1000
