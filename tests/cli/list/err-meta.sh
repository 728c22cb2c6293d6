: > sample/model.ckpt-1000.meta
$CKPT list sample/model.ckpt-1000.meta
