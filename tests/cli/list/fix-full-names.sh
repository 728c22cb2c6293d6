# A TF2 Keras SavedModel's keys beside the full variable names its object graph records
# (optimizer slots under Adam/, Keras metrics' count and total twice each).
$CKPT list --full-names "$FIX/tensorflow+rust/@ad2b532/examples/keras_multiple_inputs_saved_model"
