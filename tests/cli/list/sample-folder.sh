# A folder with a checkpoint state file resolves to its latest checkpoint.
$CKPT list sample
