$CKPT show --object-graph "$FIX/tensorflow+serving/tensorflow_serving/servables/tensorflow/testdata/saved_model_half_plus_two_tf2_cpu/00000123/variables/variables"
