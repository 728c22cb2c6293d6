$CKPT trend --help
