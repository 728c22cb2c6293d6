mkdir -p out-match-bad-names
printf '{"tensors": [{"dtype": "float32"}]}' >out-match-bad-names/bad.json
$CKPT match match/slim out-match-bad-names/bad.json
