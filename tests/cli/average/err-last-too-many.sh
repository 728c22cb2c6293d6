mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT average -o avg --last 3 $GEN/sample
