# A state file whose newest checkpoint is gone: a warning names the listed checkpoints still
# there, and the newest of those is used. The Windows path it holds is shown as written.
cd "$TMPDIR"
mkdir run
cp "$GEN"/sample/model.ckpt-500.* run/
printf 'model_checkpoint_path: "model.ckpt-1000"\nall_model_checkpoint_paths: "model.ckpt-500"\nall_model_checkpoint_paths: "model.ckpt-1000"\n' >run/checkpoint
$CKPT list run | tail -1
mkdir win
cp "$GEN"/sample/model.ckpt-1000.* win/
printf 'model_checkpoint_path: "C:\\\\Users\\\\me\\\\run\\\\model.ckpt-1000"\n' >win/checkpoint
cat win/checkpoint
$CKPT list win | tail -1
