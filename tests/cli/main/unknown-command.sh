$CKPT lsit sample
