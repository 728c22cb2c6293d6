$CKPT graph
