mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
$CKPT average -o avg $GEN/partitioned/ckpt $GEN/partitioned/ckpt
$CKPT diff avg $GEN/partitioned/ckpt
$CKPT list avg
