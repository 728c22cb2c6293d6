# Names that say nothing, three tensors of their shape: reported with the candidates, not
# guessed.
mkdir -p out-match-ambiguous
printf 'x1 float32 [8]\nx2 float32 [8]\n' >out-match-ambiguous/names.txt
$CKPT match match/slim out-match-ambiguous/names.txt
