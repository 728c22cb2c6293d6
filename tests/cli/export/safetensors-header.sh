mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT export --safetensors d.safetensors $GEN/dtypes/ckpt
n=$(head -c 8 d.safetensors | od -An -tu8 | tr -d " ")
echo "header: $n bytes"
dd if=d.safetensors bs=1 skip=8 count=$n 2>/dev/null; echo
