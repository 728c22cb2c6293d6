$CKPT merge -o out-merge-usage-no-input/x
