$CKPT diff sample/model.ckpt-1000 sample/nope
