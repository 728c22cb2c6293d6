$CKPT verify
