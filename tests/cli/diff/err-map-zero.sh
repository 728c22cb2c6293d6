# --map is read in bounded memory: /dev/zero fails at once, naming the file.
$CKPT diff --map /dev/zero sample/model.ckpt-1000 sample/model.ckpt-500
