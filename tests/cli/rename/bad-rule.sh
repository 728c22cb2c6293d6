$CKPT rename -o out-rename-bad-rule/x nonsense sample/model.ckpt-1000
