$CKPT average sample/model.ckpt-500 sample/model.ckpt-1000
