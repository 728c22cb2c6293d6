$CKPT export sample/model.ckpt-1000
