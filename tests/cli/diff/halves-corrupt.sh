# A byte flipped in the second half of b's "second": its CRC, combined from the halves', fails.
cp halves/a.* halves/b.* "$TMPDIR"
printf "\377" | dd of="$TMPDIR/b.data-00000-of-00001" bs=1 seek=8297600 conv=notrunc 2>/dev/null
$CKPT diff "$TMPDIR/a" "$TMPDIR/b"
