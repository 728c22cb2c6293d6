# A data shard is not an error: it names its prefix.
$CKPT list sample/model.ckpt-500.data-00000-of-00001 --format tf
