# rename, subset and cast read a V1 table and write a V2 bundle: the success line says so.
$CKPT rename -o out-v1-rc/r --add-prefix m/ v1/sharded | sed -e "s/ in [0-9.]* s/ in T s/"
$CKPT list --json out-v1-rc/r | grep "\"format\""
$CKPT rename --json -o out-v1-rc/j --add-prefix m/ v1/sharded | grep input_format
$CKPT subset -i '^a$' -o out-v1-rc/s v1/sharded | sed -e "s/ in [0-9.]* s/ in T s/"
$CKPT cast --to bfloat16 -o out-v1-rc/c v1/sharded | head -n 1
