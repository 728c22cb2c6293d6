$CKPT list -l twoshards/model
