: > empty.index
$CKPT list empty
