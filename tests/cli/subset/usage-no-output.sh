$CKPT subset --drop-optimizer sample/model.ckpt-1000
