# The checkpoint saved with the graph: its .meta is found beside it.
$CKPT graph --check graph/run
