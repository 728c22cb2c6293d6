# --rules with the keras preset's file: TF2 keys take the object graph's full names, optimizer
# state goes (and leaves the object graph), the result restores and lists.
K="$FIX/tensorflow+rust/@ad2b532/examples/keras_multiple_inputs_saved_model/variables/variables"
P=${CKPT_PRESETS:-$(dirname "$CKPT")/../presets}  # make check sets it; else beside build/ckpt
$CKPT rename --rules "$P/keras.rules" -o out-rename-rules/x "$K" >/dev/null &&
$CKPT list out-rename-rules/x
