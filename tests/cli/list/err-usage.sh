$CKPT list
