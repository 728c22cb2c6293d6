$CKPT rename -o out-rename-bad-regex/x 's/(/x/' sample/model.ckpt-1000
