# The target as a safetensors header.
mkdir -p out-match-safetensors
$CKPT export --safetensors out-match-safetensors/keras.safetensors match/keras >/dev/null
$CKPT match --json match/slim out-match-safetensors/keras.safetensors | grep -E '"(target_kind|ok|matched)"'
