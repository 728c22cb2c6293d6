mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT export --npz part.npz -i "^dense/" -x Adam $GEN/sample/model.ckpt-500 >/dev/null
$CKPT import -o part part.npz >/dev/null
$CKPT average --intersect -o avg part $GEN/sample/model.ckpt-1000
$CKPT list avg
