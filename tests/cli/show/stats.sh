$CKPT show --stats --match . sample
