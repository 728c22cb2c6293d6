mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT cast -o k --to half -i kernel -x Adam --json $GEN/sample/model.ckpt-1000
$CKPT list k | grep float16
