# 305,307 of 305,312 values round: the share is 99.998%, which two decimals would show as
# "100.00%" (a percentage reads 100% only when it is all).
$CKPT cast --to bfloat16 -o out-cast-percent/s sample/model.ckpt-1000 | tail -n 1
