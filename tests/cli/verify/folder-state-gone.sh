# The state file's newest checkpoint is gone: the folder fails (a restore of the latest would),
# the checkpoints that are there are still verified, and an older listed one that is gone is
# named on stderr.
cd "$TMPDIR"
mkdir run
cp "$GEN"/sample/model.ckpt-500.* run/
printf 'model_checkpoint_path: "model.ckpt-1000"\nall_model_checkpoint_paths: "model.ckpt-200"\nall_model_checkpoint_paths: "model.ckpt-500"\nall_model_checkpoint_paths: "model.ckpt-1000"\n' >run/checkpoint
$CKPT verify run
