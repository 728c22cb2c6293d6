$CKPT match match/slim no/such/target
