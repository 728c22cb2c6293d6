# A TF2 Keras SavedModel's variables as a TF1 checkpoint, and back through match --apply.
sm="$FIX/tensorflow+rust/@ad2b532/examples/keras_multiple_inputs_saved_model"
$CKPT rename --full-names -o out-rename-fix-full/tf1 "$sm" | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/"
$CKPT list out-rename-fix-full/tf1 --format tsv | cut -f1,3
$CKPT match --apply -o out-rename-fix-full/back out-rename-fix-full/tf1 "$sm" | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/"
$CKPT diff "$sm/variables/variables" out-rename-fix-full/back
