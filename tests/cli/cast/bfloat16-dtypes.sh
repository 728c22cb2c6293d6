mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT cast -o bf --to bfloat16 $GEN/dtypes/ckpt
$CKPT list bf
$CKPT show bf float32 float64
