# An index that exists but is damaged (cut short, emptied, its magic overwritten) is damage:
# a FAILED line for each and exit 1, not exit 2 ("could not be examined").
for k in short empty magic; do cp -r sample "$TMPDIR/$k"; done
truncate -s 10 "$TMPDIR/short/model.ckpt-1000.index"
: >"$TMPDIR/empty/model.ckpt-1000.index"
size=$(wc -c <"$TMPDIR/magic/model.ckpt-1000.index")
printf 'XXXXXXXX' | dd of="$TMPDIR/magic/model.ckpt-1000.index" bs=1 seek=$((size - 8)) conv=notrunc status=none
$CKPT verify "$TMPDIR/short/model.ckpt-1000" "$TMPDIR/empty/model.ckpt-1000" "$TMPDIR/magic/model.ckpt-1000.index"
