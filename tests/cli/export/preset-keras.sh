# keras: TF2 keys take the object graph's full names; optimizer state, metrics and the graph go
$CKPT export -n --preset keras "$FIX/tensorflow+rust/@ad2b532/examples/keras_multiple_inputs_saved_model/variables/variables"
