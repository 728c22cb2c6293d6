$CKPT match match/slim
