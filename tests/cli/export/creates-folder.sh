# Like every other writer, export makes its output's folder (and the folders above it).
$CKPT export --npz out-export-folder/a/b/w.npz sample/model.ckpt-1000
$CKPT export --safetensors out-export-folder/c/w.safetensors sample/model.ckpt-1000
ls out-export-folder/a/b out-export-folder/c
