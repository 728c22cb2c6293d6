mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
# A zip entry name holds 65535 bytes: a name that fits comes back exactly, a longer one is
# refused (naming the tensor, shortened) instead of being cut to its length modulo 65536.
# st FILE LENGTH...: a safetensors file of one-byte tensors named "b...be" of these lengths.
st() {
	perl -e 'my ($f, @n) = @ARGV; my ($h, $o) = ("{", 0);
		 $h .= ($o ? "," : "") . "\"" . ("b" x ($_ - 1)) . "e\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[" . $o++ . ",$o]}" for @n;
		 $h .= "}"; open(my $fh, ">:raw", $f) or die; print $fh pack("Q<", length $h), $h, "x" x $o' "$@"
}
st fits.safetensors 65531 4468 1
$CKPT import -o fits fits.safetensors
$CKPT export --npz fits.npz fits
$CKPT import -o back fits.npz
$CKPT diff back fits
$CKPT list --json back | perl -ne 'print length($1), "\n" while /"name":\s*"([^"]*)"/g'
st edge.safetensors 65532
$CKPT import -o edge edge.safetensors
$CKPT export --npz edge.npz edge || echo "exit $?"
st long.safetensors 70000 1
$CKPT import -o long long.safetensors
$CKPT export --npz long.npz long || echo "exit $?"
test ! -e long.npz && test ! -e edge.npz
$CKPT export --safetensors long.st long
$CKPT import -o back2 long.st
$CKPT diff back2 long
