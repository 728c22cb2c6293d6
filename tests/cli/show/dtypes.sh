$CKPT show dtypes/ckpt --match .
