cp diffpair/a.index "$TMPDIR/a.index"
cp diffpair/a.data-00000-of-00001 "$TMPDIR/a.data-00000-of-00001"
printf "\377" | dd of="$TMPDIR/a.data-00000-of-00001" bs=1 seek=0 conv=notrunc 2>/dev/null
$CKPT diff -q "$TMPDIR/a" diffpair/a || echo "status $?"
$CKPT diff "$TMPDIR/a" diffpair/a
