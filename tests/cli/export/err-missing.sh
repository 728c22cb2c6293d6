mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT export --npz a.npz $GEN/no/such/ckpt
