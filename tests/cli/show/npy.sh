cd "$TMPDIR"
$CKPT show --npy emb.npy "$GEN/partitioned/ckpt" emb
od -A d -t x1 emb.npy | tail -6
$CKPT show --npy emb.npy "$GEN/partitioned/ckpt" emb || echo "exit $?"
$CKPT show --npy emb.npy --force --index "[0]" "$GEN/partitioned/ckpt" emb
od -A d -c emb.npy | head -5
ls
