$CKPT diff --stat diffpair/a diffpair/b
