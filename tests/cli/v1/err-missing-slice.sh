$CKPT show v1/bad/missing lost
