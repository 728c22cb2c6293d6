# Tensors of a MiB and more, written in chunks by two threads: a damaged byte in the second
# MiB of one is found whichever way it is written (in chunks, whole as a kernel transposed, as
# a hole of the .npz), and nothing is left behind.
mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
cp $GEN/halves/a.* .
printf "\377\377\377\377" | dd of=a.data-00000-of-00001 bs=1 seek=1500000 conv=notrunc 2>/dev/null
printf 'transpose ^both$ T\nkeep .\n' > t.rules
$CKPT export --safetensors a.safetensors a || echo "exit $?"
$CKPT export --safetensors a.safetensors --rules t.rules a || echo "exit $?"
$CKPT export --npz a.npz a || echo "exit $?"
ls
