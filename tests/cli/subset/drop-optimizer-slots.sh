$CKPT subset -n --drop-optimizer slots/model.ckpt-1000
