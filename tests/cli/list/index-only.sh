# Listing reads only the index: it works with the data shard gone.
mkdir ionly && cp sample/model.ckpt-500.index ionly/
$CKPT list ionly | tail -n 1
