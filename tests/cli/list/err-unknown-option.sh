$CKPT list --jsn sample
