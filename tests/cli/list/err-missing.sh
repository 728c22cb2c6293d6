$CKPT list no/such/model.ckpt
