# A truncated data shard: found by its size alone; JSON says the data was not read.
mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
cp $GEN/graph/run/model.ckpt-1000.* .
truncate -s 1000 model.ckpt-1000.data-00000-of-00001 2>/dev/null ||
	{ head -c 1000 model.ckpt-1000.data-00000-of-00001 >d && mv d model.ckpt-1000.data-00000-of-00001; }
$CKPT graph --json --check model.ckpt-1000
