$CKPT show --raw partitioned/ckpt emb > "$TMPDIR/emb.raw"
od -A d -t f4 "$TMPDIR/emb.raw"
$CKPT show --raw dtypes/ckpt string | od -A d -c
