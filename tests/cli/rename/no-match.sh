$CKPT rename -o out-rename-no-match/x 'nothere=x' 'global_step=step' sample/model.ckpt-1000 | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/"
$CKPT rename --strict -o out-rename-no-match/y 'nothere=x' 'global_step=step' sample/model.ckpt-1000
