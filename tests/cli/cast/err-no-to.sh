$CKPT cast -o x sample/model.ckpt-1000
