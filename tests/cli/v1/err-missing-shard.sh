cp -R v1/sharded s
rm s/model-00001-of-00002
$CKPT list s/model-00000-of-00002
