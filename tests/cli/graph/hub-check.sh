# Two savers and init_from_checkpoint ops: the check uses the saver the saver_def names
# (save_1/), whose keys the checkpoint holds exactly; the others are named, not checked.
$CKPT graph --check graph-hub/run
