# FIFOs where a file is expected are refused at once by name (a read would block forever):
# an .index, a 'checkpoint' state file (given, or found in a folder). timeout keeps a
# regression from hanging the suite.
cd "$TMPDIR"
mkdir a b
cp "$GEN"/sample/model.ckpt-1000.data-* a/
mkfifo a/model.ckpt-1000.index
cp "$GEN"/sample/model.ckpt-1000.* b/
mkfifo b/checkpoint
set +e
timeout 10 $CKPT list a/model.ckpt-1000
echo "exit $?"
timeout 10 $CKPT list a/model.ckpt-1000.index
echo "exit $?"
timeout 10 $CKPT list b
echo "exit $?"
timeout 10 $CKPT list b/checkpoint
echo "exit $?"
