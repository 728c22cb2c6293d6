head -c 100 sample/model.ckpt-1000.index > trunc.index
$CKPT list trunc
