printf '\012\377' > bad.meta
$CKPT graph bad.meta
