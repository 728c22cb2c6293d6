$CKPT list --by-scope=1 sample
