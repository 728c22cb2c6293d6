$CKPT merge -o out-merge-bad-size/x --shard-size 12Q sample/model.ckpt-500
