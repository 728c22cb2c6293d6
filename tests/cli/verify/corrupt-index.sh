cp -r sample "$TMPDIR/s"
dd if=/dev/zero of="$TMPDIR/s/model.ckpt-1000.index" bs=1 seek=20 count=4 conv=notrunc 2>/dev/null
$CKPT verify "$TMPDIR/s/model.ckpt-1000"
