$CKPT merge -o out-merge-prefixes/m --prefix old/ sample/model.ckpt-500 --prefix new/ sample/model.ckpt-1000 twoshards/model | sed -e "s/ in [0-9.]* s/ in T s/"
$CKPT list out-merge-prefixes/m | tail -4
$CKPT list out-merge-prefixes/m | grep -c '^old/'
