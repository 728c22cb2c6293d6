# TF1-slim names under net/ against the Keras names of the same model: a scope dropped and
# the leaves out-match-scope-suffix/renamed (weights -> kernel, biases -> bias), two same-shape layer norms told
# apart by name (enc_ln, dec_ln), the Momentum slots left over.
mkdir -p out-match-scope-suffix
$CKPT match match/slim match/keras
