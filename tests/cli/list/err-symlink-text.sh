# A git checkout made where symbolic links cannot exist stores a link as a small file holding
# its target: here model.ckpt.index "links" to model.ckpt-10.index, as in a real repository.
d=$TMPDIR/linked
mkdir "$d"
cp $GEN/sample/model.ckpt-1000.index "$d/model.ckpt-10.index"
cp $GEN/sample/model.ckpt-1000.data-00000-of-00001 "$d/model.ckpt-10.data-00000-of-00001"
printf 'model.ckpt-10.index' >"$d/model.ckpt.index"
cd "$TMPDIR"
$CKPT list linked/model.ckpt
