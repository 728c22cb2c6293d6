$CKPT verify sample nothing/here
