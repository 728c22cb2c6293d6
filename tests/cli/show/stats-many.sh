# Statistics of 10 000 small tensors (many/), worked out in two halves side by side, each
# reading its payloads a window at a time: the table is the one a single pass makes, same rows
# in the same order, widths and totals (its checksum is that of the output of the single pass
# that came before the halves). A damaged tensor in either half is reported as the single pass
# reports it: the first in name order, nothing else printed.
$CKPT show --stats --match . many/ckpt | sed -n '1,2p;$p'
$CKPT show --stats --match . many/ckpt | cksum
cp -r many "$TMPDIR/m"
flip() {
	perl -e 'open(F, "+<", shift) or die; for (@ARGV) { seek(F, $_, 0); read(F, $c, 1);
		seek(F, $_, 0); print F chr(ord($c) ^ 1) }' "$TMPDIR/m/ckpt.data-00000-of-00001" "$@"
}
flip 1439999  # bias 4999, in the second half
$CKPT show --stats --match . "$TMPDIR/m/ckpt" || echo "status $?"
flip 0  # and kernel 0, in the first
$CKPT show --stats --match . "$TMPDIR/m/ckpt" || echo "status $?"
