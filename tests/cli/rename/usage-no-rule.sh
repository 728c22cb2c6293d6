$CKPT rename -o out-rename-usage-no-rule/x sample/model.ckpt-1000
