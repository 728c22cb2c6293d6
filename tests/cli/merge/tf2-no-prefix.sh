$CKPT merge -o out-merge-tf2-no-prefix/m "$FIX/tensorflow+tfjs/tfjs-node/test_objects/saved_model/times_two_int/variables" --prefix b/ "$FIX/tensorflow+tfjs/tfjs-node/test_objects/saved_model/times_three_float/variables" || echo "status $?"
$CKPT merge -o out-merge-tf2-no-prefix/m --prefix a.b/ "$FIX/tensorflow+tfjs/tfjs-node/test_objects/saved_model/times_two_int/variables" || echo "status $?"
$CKPT merge -o out-merge-tf2-no-prefix/m --prefix a/ "$FIX/tensorflow+tfjs/tfjs-node/test_objects/saved_model/times_two_int/variables" --prefix a/ "$FIX/tensorflow+tfjs/tfjs-node/test_objects/saved_model/times_three_float/variables" || echo "status $?"
test ! -e out-merge-tf2-no-prefix
