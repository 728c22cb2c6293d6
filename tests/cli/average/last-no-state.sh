# --last N DIR without a state file: the folder's checkpoints as list and verify find them
# (name order, model.ckpt-500 before model.ckpt-1000), and the success line names them.
cd "$TMPDIR"
cp -r "$GEN/sample" run
rm run/checkpoint
cp run/model.ckpt-500.index run/model.ckpt-1500.index
cp run/model.ckpt-500.data-00000-of-00001 run/model.ckpt-1500.data-00000-of-00001
$CKPT average -o avg --last 2 run
set +e
$CKPT average -o avg2 --last 4 run
