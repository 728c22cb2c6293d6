mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
# Symbolic links to folders: a loop (to the folder itself, to its parent) or a second way to
# the same folder is followed once, so the walk ends and each file is imported once; the
# links not followed are noted, and --json lists the files imported.
npy() {
	printf '\223NUMPY\001\000\166\000' > "$1"
	printf '%-117s\n' "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }" >> "$1"
	printf "$2" >> "$1"
}
mkdir -p arrays/sub elsewhere
npy arrays/a.npy '\001'
npy arrays/sub/b.npy '\002'
npy elsewhere/c.npy '\003'
ln -s .. arrays/sub/up
ln -s . arrays/sub/self
ln -s sub arrays/alias
ln -s ../elsewhere arrays/other
timeout 20 $CKPT import -o out --json arrays
$CKPT list out
