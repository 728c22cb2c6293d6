# The output's folder is a file: nothing can be written there, and the message says where.
mkdir -p out-export-file && : > out-export-file/plain
$CKPT export --npz out-export-file/plain/w.npz sample/model.ckpt-1000
