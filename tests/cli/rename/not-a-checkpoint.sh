echo 'not a table' >junk.index
$CKPT rename -o out-rename-not-a-checkpoint/x a=b junk
