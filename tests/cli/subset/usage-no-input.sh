$CKPT subset -o out-subset-usage-no-input/x
