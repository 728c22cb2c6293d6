$CKPT show v1/bad/gap half
