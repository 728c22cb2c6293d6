$CKPT show sample dense/kernal
