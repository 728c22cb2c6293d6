# many/ holds 10 000 small payloads (layers of 288 bytes: kernel, then bias), checked in two
# halves side by side. One bit flipped in the last byte of the file (bias 4999, in the second
# half): that tensor and only it is damaged, and the bytes of all the others (1 440 000 - 32)
# count as verified, from both halves. Then also in the first byte (kernel 0, first half).
cp -r many "$TMPDIR/m"
flip() {
	perl -e 'open(F, "+<", shift) or die; for (@ARGV) { seek(F, $_, 0); read(F, $c, 1);
		seek(F, $_, 0); print F chr(ord($c) ^ 1) }' "$TMPDIR/m/ckpt.data-00000-of-00001" "$@"
}
$CKPT verify --json many/ckpt | grep '"bytes_verified"'
flip 1439999
$CKPT verify --json "$TMPDIR/m/ckpt" | grep -E '"tensor"|"bytes_verified"' || echo "status $?"
flip 0
$CKPT verify --json "$TMPDIR/m/ckpt" | grep -E '"tensor"|"bytes_verified"' || echo "status $?"
