# Statistics of 3 MiB tensors, read in two halves on two cores; a corrupt second half is an error.
$CKPT show --stats --match . halves/a
cp halves/a.* "$TMPDIR"
printf "\377" | dd of="$TMPDIR/a.data-00000-of-00001" bs=1 seek=5000000 conv=notrunc 2>/dev/null
$CKPT show --stats --match . "$TMPDIR/a"
