$CKPT show --stats --json dtypes/ckpt float32 int64 string complex64
