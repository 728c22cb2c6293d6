$CKPT list sample/model.ckpt-1000
