# Small payloads are read 256 KiB at a time (tensor/batch.h). many/ has 10 000 of them, each
# layer's kernel (256 B) then its bias (32 B), 288 bytes a layer: one bit flipped in the first
# byte of the file (kernel 0), the last byte of the first window (bias 909, bytes
# 262048..262080), the payload across the 256 KiB mark (kernel 910, 262080..262336) and the
# last byte of the file (bias 4999): those four, and only they, are damaged.
cp -r many "$TMPDIR/m"
perl -e 'open(F, "+<", shift) or die; for (@ARGV) { seek(F, $_, 0); read(F, $c, 1);
	seek(F, $_, 0); print F chr(ord($c) ^ 1) }' "$TMPDIR/m/ckpt.data-00000-of-00001" \
	0 262079 262143 1439999
$CKPT verify "$TMPDIR/m/ckpt"
