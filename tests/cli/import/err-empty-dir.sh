mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
mkdir empty
$CKPT import -o out empty
