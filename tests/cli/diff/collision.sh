$CKPT diff -r "s/.*/x/" diffpair/a diffpair/b || echo "status $?"
$CKPT diff -r "shape=dtype" -i "^(shape|dtype)$" diffpair/a diffpair/b
