$CKPT merge -n --on-conflict last sample/model.ckpt-500 sample/model.ckpt-1000 twoshards/model
