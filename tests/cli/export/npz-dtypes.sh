mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT export --npz d.npz $GEN/dtypes/ckpt
$CKPT import -o back d.npz
$CKPT diff back $GEN/dtypes/ckpt || echo "diff exit $?"
