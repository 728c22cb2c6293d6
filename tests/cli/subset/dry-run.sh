$CKPT subset -n --drop-optimizer sample/model.ckpt-1000
test ! -e out-subset-dry-run
