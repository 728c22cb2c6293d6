$CKPT graph --json --check graph/ported graph/run/model.ckpt-1000.meta
