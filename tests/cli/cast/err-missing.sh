mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT cast -o x --to float16 $GEN/sample/model.ckpt-1000.data-00000-of-00001.bad
