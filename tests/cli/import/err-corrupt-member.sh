mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT export --npz s.npz $GEN/sample/model.ckpt-1000 >/dev/null
printf "\377\377\377\377" | dd of=s.npz bs=1 seek=3000 conv=notrunc 2>/dev/null
$CKPT import -o out s.npz || echo "exit $?"
ls
