$CKPT list --by-scope many | head -n 8
