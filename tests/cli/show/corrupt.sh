cp -r sample "$TMPDIR/s"
off=$($CKPT list -l --format tsv "$TMPDIR/s" | awk -F"\t" '$1 == "global_step" { print $7 }')
printf "\\001" | dd of="$TMPDIR/s/model.ckpt-1000.data-00000-of-00001" bs=1 seek=$((off + 7)) conv=notrunc 2>/dev/null
$CKPT show --stats "$TMPDIR/s" beta1_power global_step
