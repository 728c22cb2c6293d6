$CKPT show --precision x sample global_step
