$CKPT list --help
