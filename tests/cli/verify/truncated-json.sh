cp -r twoshards "$TMPDIR/t"
truncate -s 200 "$TMPDIR/t/model.data-00000-of-00002"
$CKPT verify --json "$TMPDIR/t/model"
