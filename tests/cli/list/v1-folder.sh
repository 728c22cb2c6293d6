# A folder holding one legacy V1 checkpoint file and no state file is that checkpoint.
cd "$TMPDIR"
mkdir old
cp "$GEN/v1/dtypes" old/model.ckpt
$CKPT list old | head -3
