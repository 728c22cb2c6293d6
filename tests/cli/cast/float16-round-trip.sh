mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT cast -o half --to float16 $GEN/sample/model.ckpt-1000
$CKPT list half | tail -3
# back to float32: within half precision (relative 2^-11, absolute 2^-25 for subnormals)
$CKPT cast -o back --to float32 half
$CKPT diff --rtol 0.00049 --atol 3e-8 back $GEN/sample/model.ckpt-1000
