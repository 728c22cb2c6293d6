$CKPT cast -o x --to int8 sample/model.ckpt-1000
