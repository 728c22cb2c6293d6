$CKPT import -o out sample/model.ckpt-1000.index
