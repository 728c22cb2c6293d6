mkdir two && cp sample/model.ckpt-500.index two/a.index && cp sample/model.ckpt-1000.index two/b.index
$CKPT list two
