$CKPT subset -o out-subset-bad-regex/x -i '[' sample/model.ckpt-1000
