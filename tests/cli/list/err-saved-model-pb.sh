mkdir -p sm/variables && cp sample/model.ckpt-1000.index sm/variables/variables.index
printf "\\010\\001" > sm/saved_model.pb
$CKPT list sm/saved_model.pb
