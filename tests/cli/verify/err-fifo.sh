# A FIFO in place of a data shard: trouble (exit 2) naming it, never a read that blocks, and
# the same for show and subset, which read the shard too.
cd "$TMPDIR"
mkdir c
cp "$GEN"/sample/model.ckpt-1000.index c/
mkfifo c/model.ckpt-1000.data-00000-of-00001
set +e
timeout 10 $CKPT verify c/model.ckpt-1000
echo "exit $?"
timeout 10 $CKPT show c/model.ckpt-1000 dense/bias
echo "exit $?"
timeout 10 $CKPT subset -o sub/x c/model.ckpt-1000
echo "exit $?"
timeout 10 $CKPT rename --copy -o ren/x --add-prefix r/ c/model.ckpt-1000
echo "exit $?"
