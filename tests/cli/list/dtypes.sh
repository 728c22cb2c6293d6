$CKPT list dtypes
