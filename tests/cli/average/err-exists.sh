mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
cp $GEN/sample/model.ckpt-500.* .
$CKPT average -o model.ckpt-500 model.ckpt-500 $GEN/sample/model.ckpt-1000 || echo "exit $?"
$CKPT average -o avg model.ckpt-500 $GEN/sample/model.ckpt-1000 >/dev/null
$CKPT average -o avg model.ckpt-500 $GEN/sample/model.ckpt-1000 || echo "exit $?"
$CKPT average -f -o avg $GEN/sample/model.ckpt-500 $GEN/sample/model.ckpt-1000
ls
