$CKPT rename --copy -o out-rename-partitioned/p 'emb=model/embedding' partitioned/ckpt | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/; data [a-z ]*)/; data D)/"
$CKPT list -l out-rename-partitioned/p
