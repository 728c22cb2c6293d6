# The data file of many/ (layers of 288 bytes: kernel, then bias) cut inside the payload
# across the first 256 KiB window's end (kernel 910, bytes 262080..262336): it and the 8 179
# payloads after it are past the end; the 1 820 before it (262 080 bytes) are intact.
cp -r many "$TMPDIR/m"
truncate -s 262100 "$TMPDIR/m/ckpt.data-00000-of-00001"
$CKPT verify "$TMPDIR/m/ckpt" >"$TMPDIR/out" || echo "status $?"
grep -c 'past the end of the file, which has 262100 bytes' "$TMPDIR/out"
grep -c 'layer_0910/kernel' "$TMPDIR/out"
grep -c 'layer_0909/' "$TMPDIR/out" || true
tail -n 1 "$TMPDIR/out"
