mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT export --npz s.npz -i "^dense/bias$" $GEN/sample/model.ckpt-1000 >/dev/null
$CKPT import -o out s.npz >/dev/null
$CKPT import -o out s.npz || echo "exit $?"
$CKPT import -f -o out --json s.npz
