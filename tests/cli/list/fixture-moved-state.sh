# The state file names /tmp/... from the producing machine: fall back to the base name.
$CKPT list "$FIX/tensorflow+serving/tensorflow_serving/servables/tensorflow/testdata/saved_model_counter/00000123/variables"
