$CKPT show v1/sliced w grid names
