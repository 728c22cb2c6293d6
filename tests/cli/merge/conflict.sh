$CKPT merge -o out-merge-conflict/x twoshards/model partitioned/ckpt sample/model.ckpt-500 names/ckpt || echo "status $?"
$CKPT merge -o out-merge-conflict/x twoshards/model twoshards/model || echo "status $?"
test ! -e out-merge-conflict
