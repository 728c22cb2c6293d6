$CKPT list --sort weight sample
