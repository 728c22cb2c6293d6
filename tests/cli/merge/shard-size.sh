$CKPT merge -o out-merge-shard-size/m --shard-size 200K sample/model.ckpt-500 twoshards/model | sed -e "s/ in [0-9.]* s/ in T s/"
ls out-merge-shard-size
$CKPT merge -o out-merge-shard-size/n --shards 3 sample/model.ckpt-500 | sed -e "s/ in [0-9.]* s/ in T s/"
$CKPT list -l --sort offset out-merge-shard-size/n | sed '$d' | cut -c1-30,70-
$CKPT list out-merge-shard-size/n | tail -n 1
