$CKPT diff -n 2 diffpair/a diffpair/b
