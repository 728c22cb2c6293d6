# A git checkout made where symbolic links cannot exist stores a link as a small file holding
# its target: here model.ckpt.index "links" to model.ckpt-10.index, as in a real repository.
d=$TMPDIR/linked
mkdir "$d"
cp $GEN/sample/model.ckpt-1000.index "$d/model.ckpt-10.index"
cp $GEN/sample/model.ckpt-1000.data-00000-of-00001 "$d/model.ckpt-10.data-00000-of-00001"
printf 'model.ckpt-10.index' >"$d/model.ckpt.index"
cd "$TMPDIR"
# The same with malloc's fresh memory filled with a non-zero byte (MALLOC_PERTURB_, no tcache,
# which skips the filling): the text read must be terminated by the reader, not by chance (it
# was not, and the hint went missing when the memory held an older, longer path).
GLIBC_TUNABLES=glibc.malloc.tcache_count=0 MALLOC_PERTURB_=165 $CKPT list linked/model.ckpt
