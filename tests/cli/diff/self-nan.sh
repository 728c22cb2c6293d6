$CKPT diff dtypes/ckpt dtypes/ckpt.index
