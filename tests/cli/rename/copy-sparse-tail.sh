# --copy copies only the bytes the tensors use: an input data file with a 64 MiB unused
# (sparse) tail gives an output data file of the payloads' 1221256 bytes, not 64 MiB.
cp sample/model.ckpt-1000.index sample/model.ckpt-1000.data-00000-of-00001 "$TMPDIR/"
truncate -s 64M "$TMPDIR/model.ckpt-1000.data-00000-of-00001"
$CKPT rename --copy --add-prefix x/ "$TMPDIR/model.ckpt-1000" -o "$TMPDIR/out" |
	sed -e "s/ in [0-9.]* s/ in T s/" -e "s/; [a-z ]*)$/; HOW)/"
wc -c <"$TMPDIR/out.data-00000-of-00001"
$CKPT verify "$TMPDIR/out"
