mkdir "$TMPDIR/t" && cd "$TMPDIR/t"
printf '\223NUMPY\001\000\106\000' > o.npy
printf '%-69s\n' "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }" >> o.npy
$CKPT import -o out o.npy || echo "exit $?"
printf '\223NUMPY\001\000\106\000{bad' > b.npy
$CKPT import -o out b.npy
