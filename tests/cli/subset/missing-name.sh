$CKPT subset -o out-subset-missing-name/x sample/model.ckpt-1000 dense/kernel no/such 'also missing'
