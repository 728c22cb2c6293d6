mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
# npy FILE DESCR FORTRAN SHAPE DATA: a version 1.0 .npy file with a 128-byte header
npy() {
	printf '\223NUMPY\001\000\166\000' > "$1"
	printf '%-117s\n' "{'descr': '$2', 'fortran_order': $3, 'shape': $4, }" >> "$1"
	printf "$5" >> "$1"
}
mkdir -p arrays/sub
npy arrays/a.npy '<f4' False '(2,)' '\000\000\200\077\000\000\040\300'
npy arrays/sub/fortran.npy '<i2' True '(2, 3)' '\001\000\004\000\002\000\005\000\003\000\006\000'
npy arrays/big.npy '>i4' False '(2,)' '\000\000\000\001\377\377\377\376'
npy arrays/unicode.npy '<U3' False '(2,)' 'a\000\000\000b\000\000\000\000\000\000\000\351\000\000\000\000\000\000\000\000\000\000\000'
npy arrays/bytes.npy '|S3' False '()' 'hi\000'
echo hello > arrays/README
$CKPT import -o out arrays
$CKPT list out
$CKPT show out a sub/fortran big unicode bytes
npy one.npy '<f8' False '(1, 1)' '\000\000\000\000\000\000\360\077'
$CKPT import -o one one.npy
$CKPT show one one
