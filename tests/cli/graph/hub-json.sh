$CKPT graph --json graph-hub/run
