$CKPT show sample
