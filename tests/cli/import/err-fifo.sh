# FIFOs named .npy, .npz or .safetensors, given or inside an import folder: refused by name,
# without blocking.
cd "$TMPDIR"
mkdir d
mkfifo d/x.npy d/y.npz d/z.safetensors
set +e
for f in d d/x.npy d/y.npz d/z.safetensors; do
	timeout 10 $CKPT import -o imp/x "$f"
	echo "exit $?"
done
