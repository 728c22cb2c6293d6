# The data shard is gone: names, dtypes and shapes all match, but a restore fails (issue 14).
mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
cp $GEN/graph/run/model.ckpt-1000.* .
rm model.ckpt-1000.data-00000-of-00001
$CKPT graph --check model.ckpt-1000
