mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT export --npz s.npz $GEN/sample/model.ckpt-1000
$CKPT import -o back s.npz
$CKPT diff back $GEN/sample/model.ckpt-1000
