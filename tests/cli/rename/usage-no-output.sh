$CKPT rename 'a=b' sample/model.ckpt-1000
