mkdir "$TMPDIR/empty"
$CKPT trend "$TMPDIR/empty" || echo "exit $?"
: > "$TMPDIR/model.ckpt-1.meta"
$CKPT trend trendrun/model.ckpt-100 "$TMPDIR/model.ckpt-1.meta" || echo "exit $?"
$CKPT trend trendrun/model.ckpt-100 no/such/ckpt
