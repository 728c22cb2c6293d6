mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
cp $GEN/sample/model.ckpt-1000.* .
printf x > model.ckpt-1000.data-00000-of-00001
$CKPT cast -o x --to float16 model.ckpt-1000 || echo "exit $?"
ls
