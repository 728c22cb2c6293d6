$CKPT rename -o out-rename-exists/x 'global_step=step' sample/model.ckpt-1000 >/dev/null
$CKPT rename -o out-rename-exists/x 'global_step=gs' sample/model.ckpt-1000 || echo "status $?"
$CKPT rename -f -o out-rename-exists/x 'global_step=gs' sample/model.ckpt-1000 | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/"
$CKPT list out-rename-exists/x | grep gs
ls out-rename-exists
