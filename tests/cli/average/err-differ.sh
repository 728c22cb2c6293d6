mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT average -o avg $GEN/sample/model.ckpt-1000 $GEN/dtypes/ckpt || echo "exit $?"
ls avg* 2>/dev/null || echo "nothing written"
