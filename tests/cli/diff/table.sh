$CKPT diff diffpair/a diffpair/b
