$CKPT diff -v diffpair/a diffpair/b
