cp diffpair/a.index "$TMPDIR/a.index"
$CKPT diff --names-only "$TMPDIR/a" diffpair/a && echo "names only: no data needed"
