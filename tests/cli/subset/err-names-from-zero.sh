# An option file is read in bounded memory: /dev/zero (one endless line) and a file larger
# than any list of names (a sparse 300 MiB one: refused by its size before it is read) fail
# at once with a message naming the file.
$CKPT subset -n --names-from /dev/zero sample/model.ckpt-1000 -o "$TMPDIR/o" || echo "exit $?"
truncate -s 300M "$TMPDIR/names.txt"
$CKPT subset -n --names-from "$TMPDIR/names.txt" sample/model.ckpt-1000 -o "$TMPDIR/o" ||
	echo "exit $?"
