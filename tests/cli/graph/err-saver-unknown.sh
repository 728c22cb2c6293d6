$CKPT graph --check graph-hub/run --saver save_2
