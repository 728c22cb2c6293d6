$CKPT merge -o out-merge-usage-dangling-prefix/x sample/model.ckpt-500 --prefix a/
