$CKPT rename -o out-rename-scope/enc 'dense/=encoder/dense/' 'dense_1/=encoder/head/' sample/model.ckpt-1000 | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/"
$CKPT list out-rename-scope/enc
test ! -e out-rename-scope/enc.index.tempstate* 
ls out-rename-scope
