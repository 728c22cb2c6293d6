mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT export --npz s.npz $GEN/sample/model.ckpt-1000 >/dev/null
head -c 5000 s.npz > cut.npz
$CKPT import -o out cut.npz
