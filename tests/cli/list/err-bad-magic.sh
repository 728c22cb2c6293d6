cp sample/model.ckpt-1000.index badmagic.index
chmod u+w badmagic.index
printf "\\000" | dd of=badmagic.index bs=1 seek=$(($(wc -c < badmagic.index) - 1)) conv=notrunc 2>/dev/null
$CKPT list badmagic
