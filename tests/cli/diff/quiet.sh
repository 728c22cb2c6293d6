$CKPT diff -q diffpair/a diffpair/b
