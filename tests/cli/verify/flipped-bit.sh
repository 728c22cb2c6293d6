cp -r twoshards "$TMPDIR/t"
printf "\\001" | dd of="$TMPDIR/t/model.data-00001-of-00002" bs=1 seek=300 conv=notrunc 2>/dev/null
$CKPT verify "$TMPDIR/t/model"
