$CKPT list --json twoshards/model
