$CKPT cast --help
