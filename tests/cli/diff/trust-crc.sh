$CKPT diff --trust-crc -v -i "^(same|changed)$" diffpair/a diffpair/b
