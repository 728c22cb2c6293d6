# 3 MiB tensors are checked in two halves on two cores: a flipped byte in either half is found.
cp halves/a.* "$TMPDIR"
printf "\377" | dd of="$TMPDIR/a.data-00000-of-00001" bs=1 seek=1000 conv=notrunc 2>/dev/null
printf "\377" | dd of="$TMPDIR/a.data-00000-of-00001" bs=1 seek=8297600 conv=notrunc 2>/dev/null
$CKPT verify halves/a
$CKPT verify "$TMPDIR/a"
