$CKPT list --json v1/sharded
