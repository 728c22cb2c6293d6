# --map-file is read in bounded memory: /dev/zero fails at once, naming the file.
$CKPT rename --map-file /dev/zero sample/model.ckpt-1000 -o "$TMPDIR/o"
