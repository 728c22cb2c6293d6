$CKPT list v1/dtypes
