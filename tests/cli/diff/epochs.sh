$CKPT diff sample sample/model.ckpt-500
