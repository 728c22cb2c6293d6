$CKPT verify -q sample && echo quiet
