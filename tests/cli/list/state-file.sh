$CKPT list sample/checkpoint
