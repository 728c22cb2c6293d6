$CKPT verify sample dtypes/ckpt partitioned/ckpt twoshards/model names/ckpt
