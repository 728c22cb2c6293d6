# Messages about the names in an input name that input: two members that give one tensor
# name, and a tensor named "" (whose key would be the header's).
mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT export --npz s.npz $GEN/sample/model.ckpt-1000 >/dev/null
$CKPT show --npy a.npy $GEN/sample/model.ckpt-1000 global_step
perl -MIO::Compress::Zip=:all -e '
	open(my $h, "<:raw", "a.npy") or die; local $/; my $d = <$h>;
	my $z = IO::Compress::Zip->new("dup.npz", Name => "a.npy", Method => ZIP_CM_STORE) or die;
	$z->print($d); $z->newStream(Name => "a.npy", Method => ZIP_CM_STORE); $z->print($d);
	$z->close;'
$CKPT import -o out dup.npz || echo "exit $?"
printf '\200\000\000\000\000\000\000\000' > empty.safetensors
printf '%-128s' '{"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}' >> empty.safetensors
printf 'abcd' >> empty.safetensors
$CKPT import -o out empty.safetensors || echo "exit $?"
ls
