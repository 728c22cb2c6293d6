mkdir sm
head -c 300 "$FIX/tensorflow+serving/tensorflow_serving/servables/tensorflow/testdata/saved_model_half_plus_two_cpu/00000123/saved_model.pb" > sm/saved_model.pb
$CKPT graph sm
