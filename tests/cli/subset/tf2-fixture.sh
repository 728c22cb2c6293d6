# A TF2 checkpoint: optimizer slots and the optimizer's own variables go; the graph stays.
$CKPT subset -O -o out-subset-tf2-fixture/s "$FIX/FrankCCCCC+rl_collection/results/ckpt_nstep/ckpt-1" | sed -e "s/ in [0-9.]* s/ in T s/"
$CKPT list out-subset-tf2-fixture/s
