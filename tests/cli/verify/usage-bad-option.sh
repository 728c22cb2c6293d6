$CKPT verify --jsn sample
