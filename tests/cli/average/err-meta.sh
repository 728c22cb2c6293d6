mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
: > model.ckpt-1000.meta
$CKPT average -o avg $GEN/sample/model.ckpt-500 model.ckpt-1000.meta
