$CKPT import --help
