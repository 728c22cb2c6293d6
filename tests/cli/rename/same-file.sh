$CKPT rename -o sample/model.ckpt-1000.index 'global_step=step' sample/model.ckpt-1000
