mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
# A cast 8 times wider (float8_e5m2 to float64) of more elements than one chunk's eighth: the
# cast buffer was sized by the source's element width and overran (AddressSanitizer saw it).
# 300000 elements of 0x3C, which is 1.0 in e5m2 (sign 0, exponent 15 = bias, mantissa 0).
perl -e 'my $n = 300000; my $h = "{\"w\":{\"dtype\":\"F8_E5M2\",\"shape\":[$n],\"data_offsets\":[0,$n]}}";
	 open(my $f, ">:raw", "f8.safetensors") or die; print $f pack("Q<", length $h), $h, "\x3c" x $n'
$CKPT import -o ck/model f8.safetensors
printf 'cast w float64\n' > wide.rules
$CKPT export --rules wide.rules --npz wide.npz ck/model
$CKPT import -o back wide.npz
$CKPT show --stats back w
