cp sample/model.ckpt-1000.index flip.index
chmod u+w flip.index
printf "X" | dd of=flip.index bs=1 seek=20 conv=notrunc 2>/dev/null
$CKPT list flip
