$CKPT show --json dtypes/ckpt int8
