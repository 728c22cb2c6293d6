mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
# The rules of the safetensors format (its README), each broken by one file that was accepted
# before: the header is UTF-8 JSON padded with spaces only, names are unique, __metadata__
# maps strings to strings, the data buffer is indexed entirely without holes; and TF bools are
# 0 or 1. st FILE JSON [DATA]: a safetensors file with a 256-byte header.
st() {
	printf '\000\001\000\000\000\000\000\000' > "$1"
	printf '%-256s' "$2" >> "$1"
	printf "${3:-}" >> "$1"
}
A='"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}'
st garbage.safetensors "{$A}xyz" 'abcd'
$CKPT import -o out garbage.safetensors || echo "exit $?"
st tab.safetensors "{$A}	" 'abcd'
$CKPT import -o out tab.safetensors || echo "exit $?"
st utf8.safetensors "{\"$(printf 'b\377')\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}" 'abcd'
$CKPT import -o out utf8.safetensors || echo "exit $?"
st nul.safetensors '{"a\u0000b":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}' 'abcd'
$CKPT import -o out nul.safetensors || echo "exit $?"
st twice.safetensors "{$A,$A}" 'abcd'
$CKPT import -o out twice.safetensors || echo "exit $?"
st hole.safetensors '{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}}' 'abcdefgh'
$CKPT import -o out hole.safetensors || echo "exit $?"
st first.safetensors '{"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}' 'abcd'
$CKPT import -o out first.safetensors || echo "exit $?"
st tail.safetensors "{$A}" 'abcdefgh'
$CKPT import -o out tail.safetensors || echo "exit $?"
st meta.safetensors "{\"__metadata__\":{\"format\":\"pt\",\"n\":1},$A}" 'abcd'
$CKPT import -o out meta.safetensors || echo "exit $?"
st metalist.safetensors "{\"__metadata__\":[\"pt\"],$A}" 'abcd'
$CKPT import -o out metalist.safetensors || echo "exit $?"
st bool.safetensors '{"a":{"dtype":"BOOL","shape":[4],"data_offsets":[0,4]}}' '\001\000\002\001'
$CKPT import -o out bool.safetensors || echo "exit $?"
# What the rules allow: an empty tensor anywhere on the way, string metadata, escapes, bools
st ok.safetensors '{"__metadata__":{"format":"pt"},"e":{"dtype":"F32","shape":[0],"data_offsets":[2,2]},"b\u00e9":{"dtype":"BOOL","shape":[2],"data_offsets":[2,4]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}' 'ab\001\000'
$CKPT import -o out ok.safetensors
$CKPT show out bé
# The same bool rule for .npy (numpy itself writes only 0 and 1)
d="{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }"
printf "\223NUMPY\001\000\\$(printf %03o ${#d})\000%s\001\000\377" "$d" > b.npy
$CKPT import -o out2 b.npy || echo "exit $?"
