# Two same-shape tensors under names that say nothing: the matcher lists both as candidates
# and guesses neither, so no fix command is printed.
$CKPT rename -o out-graph-amb/model.ckpt 'dense/bias=b1' 'dense/bias/Adam=b2' graph/run >/dev/null
$CKPT graph --check out-graph-amb graph/run/model.ckpt-1000.meta
