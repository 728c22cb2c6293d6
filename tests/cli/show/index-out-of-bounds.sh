$CKPT show --index "[7]" partitioned/ckpt emb
