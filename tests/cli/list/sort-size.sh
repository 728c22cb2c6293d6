$CKPT list --sort size -r --include kernel sample
