$CKPT subset -o out-subset-keeps-nothing/x -x . sample/model.ckpt-1000
test ! -e out-subset-keeps-nothing
