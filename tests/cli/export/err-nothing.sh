mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT export --npz a.npz -i nomatch $GEN/partitioned/ckpt || echo "exit $?"
ls
