# TF2 -> TF1: the keys become the full names the object graph records (a slot: Adam/m/...),
# the graph is left out, and the Keras metrics' count and total, two of each, keep their
# keys (reported). Back: 'match --apply' with the TF2 checkpoint as target restores every
# key and the object graph, identical to the original.
$CKPT rename --full-names -o out-rename-full/tf1 tf2/ckpt-1 | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/"
$CKPT list out-rename-full/tf1
$CKPT match --apply -o out-rename-full/back out-rename-full/tf1 tf2/ckpt-1 | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/"
$CKPT diff tf2/ckpt-1 out-rename-full/back
