$CKPT graph --nodes "$FIX/tensorflow+serving/tensorflow_serving/servables/tensorflow/testdata/bad_half_plus_two/00000123/export.meta"
