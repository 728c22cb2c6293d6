mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
cp $GEN/sample/model.ckpt-1000.* .
printf "\377\377\377\377" | dd of=model.ckpt-1000.data-00000-of-00001 bs=1 seek=5000 conv=notrunc 2>/dev/null
$CKPT export --npz a.npz model.ckpt-1000 || echo "exit $?"
$CKPT export --safetensors a.safetensors model.ckpt-1000 || echo "exit $?"
ls
