$CKPT average -o avg --keep-optimzer sample/model.ckpt-500 sample/model.ckpt-1000
