$CKPT diff --names-only diffpair/a diffpair/b
