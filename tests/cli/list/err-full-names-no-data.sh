# --full-names reads the object graph from the data: a missing shard is named.
mkdir -p out-list-full-nodata
cp tf2/ckpt-1.index out-list-full-nodata/
$CKPT list --full-names out-list-full-nodata/ckpt-1
