$CKPT graph --nodes --check sample/model.ckpt-1000 x.meta
