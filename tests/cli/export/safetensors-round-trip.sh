mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
# every dtype safetensors can hold comes back bit for bit, bfloat16 and float8 included
x="^(complex|string|q|u?int4)"
$CKPT export --safetensors d.safetensors -x "$x" $GEN/dtypes/ckpt
$CKPT import -o back d.safetensors
$CKPT diff -x "$x" back $GEN/dtypes/ckpt
# the same bytes: the CRC-32C of every payload is the original's
$CKPT list -l -x "$x" $GEN/dtypes/ckpt | sed '$d' | awk '{print $1, $NF}' > before
$CKPT list -l back | sed '$d' | awk '{print $1, $NF}' > after
cmp before after && wc -l < after
