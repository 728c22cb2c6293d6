$CKPT graph sample/model.ckpt-1000
