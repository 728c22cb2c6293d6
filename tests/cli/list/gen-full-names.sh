# A TF2 checkpoint's keys beside their full names: an Adam slot, and two Keras metrics
# whose count and total share one full name each.
$CKPT list --full-names tf2/ckpt-1
