cp diffpair/a.index "$TMPDIR/a.index"
$CKPT diff "$TMPDIR/a" diffpair/a
