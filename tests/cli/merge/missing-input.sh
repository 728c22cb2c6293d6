$CKPT merge -o out-merge-missing-input/x sample/model.ckpt-500 nope/model.ckpt
test ! -e out-merge-missing-input
