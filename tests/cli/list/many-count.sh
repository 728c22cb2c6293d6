$CKPT list many/ckpt | tail -n 1
