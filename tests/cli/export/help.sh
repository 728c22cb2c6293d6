$CKPT export --help
