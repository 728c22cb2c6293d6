$CKPT graph --json --check graph-hub/run
