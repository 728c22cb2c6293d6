# TF2 inputs go under a new root, one child per input, named by the prefix.
$CKPT merge -o out-merge-tf2-prefixes/m --prefix a/ "$FIX/tensorflow+tfjs/tfjs-node/test_objects/saved_model/times_two_int/variables" --prefix b/ "$FIX/tensorflow+tfjs/tfjs-node/test_objects/saved_model/times_three_float/variables" | sed -e "s/ in [0-9.]* s/ in T s/"
$CKPT list out-merge-tf2-prefixes/m
