mkdir gone && printf "model_checkpoint_path: \"model.ckpt-7\"\n" > gone/checkpoint
$CKPT list gone
