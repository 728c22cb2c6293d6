# JSON and tsv carry the full name too (null / empty for the object graph itself).
sm="$FIX/tensorflow+rust/@ad2b532/examples/keras_multiple_inputs_saved_model"
$CKPT list --full-names --json "$sm" | grep -E '"(name|full_name)"' | head -6
$CKPT list --full-names --format tsv --include '^trainable_variables/0/' "$sm"
