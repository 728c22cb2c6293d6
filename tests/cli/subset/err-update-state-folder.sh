# --update-state where "checkpoint" is a folder: the message says so (not "empty file"), and
# that the new checkpoint was written though the state file could not be updated.
mkdir -p "$TMPDIR/st/checkpoint"
$CKPT subset --include dense/ --update-state sample/model.ckpt-1000 -o "$TMPDIR/st/x" ||
	echo "exit $?"
$CKPT verify "$TMPDIR/st/x"
