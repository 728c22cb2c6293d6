# A TF2 Keras SavedModel's weights as a TF1 checkpoint keyed by full names (--only-matched,
# the object graph dropped), then back into the SavedModel's object-based keys: the output
# takes the target's object graph, without the keys it lacks (slots, metrics: exit 1).
mkdir -p out-match-tf1-to-tf2
sm="$FIX/tensorflow+rust/@ad2b532/examples/keras_multiple_inputs_saved_model"
o=out-match-tf1-to-tf2
printf 'dense/kernel\ndense/bias\ntest_out/kernel\ntest_out/bias\n' >$o/full.txt
$CKPT match --apply --only-matched -o $o/full "$sm" $o/full.txt >/dev/null
$CKPT subset -x '^_CHECKPOINTABLE_OBJECT_GRAPH$' -o $o/tf1 $o/full >/dev/null
$CKPT list $o/tf1
$CKPT match --apply -o $o/back $o/tf1 "$sm" | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/" || echo "status $?"
$CKPT verify $o/back | tail -1
$CKPT show --object-graph $o/back | grep -c 'attribute "VARIABLE_VALUE"'
$CKPT diff --names-only --include 'VARIABLE_VALUE$' --exclude 'OPTIMIZER_SLOT|optimizer/|metrics' "$sm/variables/variables" $o/back
