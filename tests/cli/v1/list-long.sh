# A V1 table holds each tensor inside its values: there is no byte offset to show, so the
# offset is "-" (null in JSON), not 0 for every tensor; the shard is the shard file's number.
$CKPT list -l v1/sharded
$CKPT list -l -f tsv v1/sharded
