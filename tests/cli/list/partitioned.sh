$CKPT list -l --json partitioned/ckpt
