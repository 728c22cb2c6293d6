$CKPT graph --check sample/model.ckpt-1000
