$CKPT show --json dtypes/ckpt float32 string bool complex64 uint64 float16 string_scalar
