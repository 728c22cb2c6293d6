mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT import -o out nope.npz
