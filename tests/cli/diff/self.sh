$CKPT diff sample/model.ckpt-1000 sample/model.ckpt-1000
