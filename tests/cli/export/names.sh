mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT export --npz n.npz --json $GEN/names/ckpt
$CKPT import -o back n.npz >/dev/null
$CKPT diff back $GEN/names/ckpt
$CKPT export --safetensors n.safetensors $GEN/names/ckpt
