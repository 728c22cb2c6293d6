# Every command's --json failure prints an error object on stdout too (the stderr line stays),
# so `ckpt list --json X | jq .` has something to read; not after the JSON it already printed,
# and not without --json. (In a folder of its own: the hint for a missing path names the
# checkpoints of the folder, and earlier cases leave some in the generated set's.)
mkdir -p json-errors && cd json-errors
$CKPT list --json nosuch || echo "exit $?"
$CKPT list --format json nosuch || echo "exit $?"
$CKPT show -j ../showedge/ckpt nope || echo "exit $?"
$CKPT diff --json ../showedge/ckpt || echo "exit $?"
$CKPT verify --json nosuch/model.ckpt || echo "exit $?"
$CKPT subset --json --drop-optimizer -o out/x nosuch || echo "exit $?"
$CKPT show --json --finite ../showedge/ckpt state >/dev/null || echo "exit $? (one JSON document: the stats)"
$CKPT list nosuch || echo "exit $? (no --json: stdout empty)"
