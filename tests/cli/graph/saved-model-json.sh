$CKPT graph --json "$FIX/tensorflow+serving/tensorflow_serving/servables/tensorflow/testdata/saved_model_half_plus_three/00000123/saved_model.pb"
