mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT cast -o p --to bfloat16 $GEN/partitioned/ckpt
$CKPT list p
$CKPT show p emb
$CKPT verify p
