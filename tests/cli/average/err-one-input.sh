mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT average -o avg $GEN/sample/model.ckpt-1000
