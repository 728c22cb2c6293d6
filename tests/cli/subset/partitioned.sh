$CKPT subset -o out-subset-partitioned/p partitioned/ckpt emb | sed -e "s/ in [0-9.]* s/ in T s/"
$CKPT list -l out-subset-partitioned/p
