mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT average -o out/avg --keep-optimizer --json --last 2 $GEN/sample
$CKPT list out/avg | tail -1
