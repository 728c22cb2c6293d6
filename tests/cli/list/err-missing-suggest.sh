# A path that names nothing: name the checkpoints in its folder and the likeliest one meant,
# instead of a bare "No such file or directory". Also for an .index given for a V1 file, and
# when only the index of a checkpoint is missing.
set +e
$CKPT list sample/model.ckpt-100
$CKPT list sample/model.ckpt
$CKPT list v1/dtypes.index
cd "$TMPDIR"
mkdir half
cp "$GEN"/sample/model.ckpt-500.data-* half/
: >half/model.ckpt-500.meta
$CKPT list half/model.ckpt-500
echo "exit $?"
