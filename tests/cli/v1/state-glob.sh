$CKPT list v1/sharded/checkpoint
