# Two names exchanged (shapes say which is which): --apply writes it, a rename map cannot say it (rules apply in turn).
mkdir -p out-match-swap
printf 'dense/bias float32 [10]\ndense_1/bias float32 [128]\n' >out-match-swap/names.txt
$CKPT match --apply --only-matched -o out-match-swap/fixed sample/model.ckpt-1000 out-match-swap/names.txt | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/"
$CKPT list out-match-swap/fixed
$CKPT match --map-out out-match-swap/map.tsv sample/model.ckpt-1000 out-match-swap/names.txt
