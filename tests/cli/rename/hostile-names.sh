$CKPT rename -o out-rename-hostile-names/n --add-prefix 'pre/' --strip-prefix 'pre/plain/' names/ckpt | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/"
$CKPT list out-rename-hostile-names/n
