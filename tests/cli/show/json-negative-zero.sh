# JSON floats keep a point: -0.0 and 1.0, never -0 and 1, which readers take for integers
$CKPT show --json showedge/ckpt negzero
$CKPT show --json --stats showedge/ckpt negzero
