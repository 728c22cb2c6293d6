cp -r partitioned "$TMPDIR/p"
printf "\\377" | dd of="$TMPDIR/p/ckpt.data-00001-of-00002" bs=1 seek=3 conv=notrunc 2>/dev/null
$CKPT verify "$TMPDIR/p/ckpt" || echo "exit $?"
$CKPT show "$TMPDIR/p/ckpt" emb
