$CKPT show partitioned/ckpt emb
