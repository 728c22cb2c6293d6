# A damaged payload in the middle of the run: the error names the checkpoint and the tensor.
cp -r trendrun "$TMPDIR/run" && cd "$TMPDIR"
printf '\377' | dd of=run/model.ckpt-300.data-00000-of-00001 bs=1 seek=4 conv=notrunc 2>/dev/null
$CKPT trend -i dense/kernel run || echo "exit $?"
