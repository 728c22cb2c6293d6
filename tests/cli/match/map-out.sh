# The map written for 'ckpt rename --map-file' gives the same checkpoint as --apply.
mkdir -p out-match-map-out
$CKPT match --map-out out-match-map-out/renames.tsv match/slim match/keras >/dev/null
cat out-match-map-out/renames.tsv
$CKPT rename -m out-match-map-out/renames.tsv -o out-match-map-out/renamed match/slim >/dev/null
$CKPT match --apply -o out-match-map-out/applied match/slim match/keras >/dev/null
$CKPT diff out-match-map-out/renamed out-match-map-out/applied
# An existing map is kept without -f.
$CKPT match --map-out out-match-map-out/renames.tsv match/slim match/keras >/dev/null
