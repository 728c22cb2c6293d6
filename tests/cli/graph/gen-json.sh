$CKPT graph --json graph/run/model.ckpt-1000.meta
