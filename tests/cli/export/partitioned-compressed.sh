mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT export -z --npz p.npz $GEN/partitioned/ckpt
$CKPT import -o back p.npz
$CKPT diff back $GEN/partitioned/ckpt
$CKPT list back
