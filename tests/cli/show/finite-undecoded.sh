# --finite cannot vouch for tensors it cannot decode (resource, variant, unknown dtype): it
# says they were not checked and exits 2; a NaN or Inf found still exits 1; strings hold no
# numbers and pass
$CKPT show --finite --match . showedge/ckpt || echo "exit $?"
$CKPT show --finite showedge/ckpt negzero words || echo "exit $?"
$CKPT show --finite --json showedge/ckpt state || echo "exit $?"
$CKPT show --stats showedge/ckpt handle negzero | tail -1 || echo "exit $?"
