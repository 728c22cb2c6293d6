$CKPT rename -n --json 's/Adam_1$/adam_v/' 's/Adam$/adam_m/' sample/model.ckpt-1000
