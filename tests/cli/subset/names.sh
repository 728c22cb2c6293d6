printf 'dense_1/bias\n# comment\n\nglobal_step\n' >names.txt
$CKPT subset -o out-subset-names/x --names-from names.txt sample/model.ckpt-1000 dense/kernel | sed -e "s/ in [0-9.]* s/ in T s/"
$CKPT list out-subset-names/x
