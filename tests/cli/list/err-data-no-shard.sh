# PREFIX.data is no file: the V1 shard glob PREFIX.data-?????-of-????? matches the V2 data
# shards, which are not tables. Say there is no such file and name the checkpoint.
$CKPT list sample/model.ckpt-1000.data
