# A TF2 Keras SavedModel's variables to the full names its object graph records, and back.
mkdir -p out-match-tf2-full-names
sm="$FIX/tensorflow+rust/@ad2b532/examples/keras_multiple_inputs_saved_model"
printf 'dense/kernel\ndense/bias\ntest_out/kernel\ntest_out/bias\n' >out-match-tf2-full-names/full.txt
$CKPT match "$sm" out-match-tf2-full-names/full.txt
$CKPT match --apply -o out-match-tf2-full-names/full "$sm/variables/variables" out-match-tf2-full-names/full.txt >/dev/null
$CKPT list out-match-tf2-full-names/full | grep -v OPTIMIZER_SLOT
$CKPT match --apply -o out-match-tf2-full-names/back out-match-tf2-full-names/full "$sm" | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/"
$CKPT diff "$sm/variables/variables" out-match-tf2-full-names/back
