mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
: > a.npz
$CKPT export --npz a.npz $GEN/partitioned/ckpt || echo "exit $?"
$CKPT export -f --npz a.npz $GEN/partitioned/ckpt
ls
