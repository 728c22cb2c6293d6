$CKPT subset --drop-optimizer -o out-subset-drop-optimizer/w sample/model.ckpt-1000 | sed -e "s/ in [0-9.]* s/ in T s/"
$CKPT list -l out-subset-drop-optimizer/w
