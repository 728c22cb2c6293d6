cp -r twoshards "$TMPDIR/t"
rm "$TMPDIR/t/model.data-00001-of-00002"
$CKPT show "$TMPDIR/t/model" a/kernel --index "[0]"
$CKPT show "$TMPDIR/t/model" b/kernel
