# "ckpt help list" and "ckpt list --help" print the same text.
$CKPT help list > a; $CKPT list -h > b; cmp a b && echo same
