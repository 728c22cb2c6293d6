cd "$TMPDIR"
$CKPT show --npy bf.npy "$GEN/dtypes/ckpt" bfloat16
od -A d -t x1 bf.npy | tail -2
$CKPT show --npy s.npy "$GEN/dtypes/ckpt" string
od -A d -c s.npy | tail -4
$CKPT show --npy v.npy "$GEN/dtypes/ckpt" float32 int8 || echo "exit $?"
$CKPT show --npy r.npy "$GEN/dtypes/ckpt" complex64
od -A d -t x1 r.npy | head -4
