cp -r dtypes "$TMPDIR/d"
truncate -s 300 "$TMPDIR/d/ckpt.data-00000-of-00001"
$CKPT verify "$TMPDIR/d/ckpt"
