mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT average -o avg $GEN/sample/model.ckpt-500 $GEN/sample/model.ckpt-1000
$CKPT list avg
$CKPT verify avg
