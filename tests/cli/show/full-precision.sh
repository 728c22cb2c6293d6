$CKPT show --full --precision 3 sample dense_1/kernel
