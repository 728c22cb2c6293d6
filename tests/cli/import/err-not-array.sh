mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
echo hello > x.txt
$CKPT import -o out x.txt
