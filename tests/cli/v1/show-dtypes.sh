$CKPT show v1/dtypes bool half bfloat16 string int64 uint8 complex64 step empty
