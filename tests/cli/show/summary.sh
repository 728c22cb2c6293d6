$CKPT show sample dense/kernel dense_1/bias global_step
