# The object graph lives in the data file: without it there are no full names to take.
mkdir -p out-rename-full-nodata
cp tf2/ckpt-1.index out-rename-full-nodata/
$CKPT rename --full-names -o out-rename-full-nodata/x out-rename-full-nodata/ckpt-1
