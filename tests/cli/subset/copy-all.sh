# No selection: everything, compacted into one data file.
$CKPT subset -o out-subset-copy-all/all twoshards/model | sed -e "s/ in [0-9.]* s/ in T s/"
$CKPT list -l out-subset-copy-all/all
$CKPT subset -o out-subset-copy-all/dt --verify-data dtypes/ckpt | sed -e "s/ in [0-9.]* s/ in T s/"
$CKPT list --json dtypes/ckpt | grep -v '"path"\|"prefix"\|"offset"\|"shard"\|"num_shards"' >a.json
$CKPT list --json out-subset-copy-all/dt | grep -v '"path"\|"prefix"\|"offset"\|"shard"\|"num_shards"' >b.json
cmp a.json b.json && echo same listing
