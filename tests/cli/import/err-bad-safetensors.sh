mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
# st FILE JSON [DATA]: a safetensors file with a 128-byte header
st() {
	printf '\200\000\000\000\000\000\000\000' > "$1"
	printf '%-128s' "$2" >> "$1"
	printf "${3:-}" >> "$1"
}
st notensor.safetensors '{"a":1}'
$CKPT import -o out notensor.safetensors || echo "exit $?"
st short.safetensors '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' 'abcd'
$CKPT import -o out short.safetensors || echo "exit $?"
st size.safetensors '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}' 'abcdefgh'
$CKPT import -o out size.safetensors || echo "exit $?"
st overlap.safetensors '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}}' 'abcdefgh'
$CKPT import -o out overlap.safetensors || echo "exit $?"
st json.safetensors '{"a":{"dtype":"F32",' 'abcdefgh'
$CKPT import -o out json.safetensors || echo "exit $?"
st type.safetensors '{"a":{"dtype":"X9","shape":[2],"data_offsets":[0,8]}}' 'abcdefgh'
$CKPT import -o out type.safetensors || echo "exit $?"
st ok.safetensors '{"__metadata__":{"k":"v"},"a":{"dtype":"U8","shape":[2,4],"data_offsets":[0,8]}}' 'abcdefgh'
$CKPT import -o out ok.safetensors
$CKPT show out a
