# The documented upgrade, then a variable dropped: the graph notices.
$CKPT subset -o cut -x "^hidden1/biases\$" "$FIX/jonholifield+tensorflow_mechanics_101/data/checkpoint-999" >/dev/null
$CKPT graph --check cut "$FIX/jonholifield+tensorflow_mechanics_101/data/checkpoint-999.meta"
