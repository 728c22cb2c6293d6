mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
# Tensor names that would be paths out of the unzip folder, or odd ones, become plain relative
# member names (%XX escapes, see the man page), and import decodes them back exactly.
# st FILE NAME...: a safetensors file of one-byte tensors with these (JSON-escaped) names.
st() {
	perl -e 'my ($f, @n) = @ARGV; my ($h, $o) = ("{", 0);
		 $h .= ($o ? "," : "") . "\"$_\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[" . $o++ . ",$o]}" for @n;
		 $h .= "}"; open(my $fh, ">:raw", $f) or die; print $fh pack("Q<", length $h), $h, "x" x $o' "$@"
}
st odd.safetensors ../../evil /abs/path 'a//b' 'x/' .hidden 'dir/../up' '100%' '%41' 'tab\there' 'back\\slash' ok/name
$CKPT import -o odd odd.safetensors
$CKPT export --npz odd.npz odd
perl -MIO::Uncompress::Unzip=:all -e 'my $u = IO::Uncompress::Unzip->new($ARGV[0]) or die; my @n;
	for (my $s = 1; $s > 0; $s = $u->nextStream) { push @n, $u->getHeaderInfo->{Name} }
	print "$_\n" for sort @n' odd.npz
$CKPT import -o back odd.npz
$CKPT diff back odd
$CKPT list back
