$CKPT subset -o out-subset-data-file-given/x sample/model.ckpt-1000.data-00000-of-00001 | sed -e "s/ in [0-9.]* s/ in T s/"
