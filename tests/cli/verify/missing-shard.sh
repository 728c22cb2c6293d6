cp -r twoshards "$TMPDIR/t"
rm "$TMPDIR/t/model.data-00001-of-00002"
$CKPT verify "$TMPDIR/t/model"
