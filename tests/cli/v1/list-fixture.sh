$CKPT list -l "$FIX/sugyan+tensorflow-mnist/@9e10e91/tensorflow/data/softmax-1000.ckpt"
