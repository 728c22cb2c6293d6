# --finite: the NaN and Inf of the dtypes set make exit status 1; finite tensors 0
$CKPT show --finite dtypes/ckpt float32 float16 || echo "exit $?"
$CKPT show --finite --match "^int" dtypes/ckpt | tail -1
