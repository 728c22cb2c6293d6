# A .meta cut short in the middle of its graph.
head -c 2000 graph/run/model.ckpt-1000.meta >cut.meta
$CKPT graph cut.meta
