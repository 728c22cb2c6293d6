$CKPT show --object-graph sample
