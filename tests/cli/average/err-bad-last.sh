$CKPT average -o avg --last x sample
