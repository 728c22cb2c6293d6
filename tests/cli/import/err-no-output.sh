$CKPT import sample
