# A names file: comments, names with a dtype and shape or with neither, one that no tensor
# can satisfy (another shape).
mkdir -p out-match-names-file
cat >out-match-names-file/names.txt <<'N'
# what the new model restores
encoder/dense/kernel   float32 [16,8]
encoder/dense/bias
head/kernel float32 [16,5]
  global_step int64 []
N
$CKPT match match/slim out-match-names-file/names.txt
