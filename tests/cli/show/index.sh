$CKPT show --index "[1:5:2, -1]" partitioned/ckpt emb
$CKPT show --index "[..., 0]" --json partitioned/ckpt emb
