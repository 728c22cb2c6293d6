$CKPT verify "$FIX/sugyan+tensorflow-mnist/mnist/data/convolutional.ckpt"
