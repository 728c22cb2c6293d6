$CKPT list "$FIX/sugyan+tensorflow-mnist/@9d683af/mnist/data/simple.ckpt"
