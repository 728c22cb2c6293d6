$CKPT average --help
