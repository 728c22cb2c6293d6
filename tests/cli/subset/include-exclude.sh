$CKPT subset -o out-subset-include-exclude/x -i '^dense/' -i '^global' -x 'Adam_1$' --json sample/model.ckpt-1000 | sed 's/"seconds":[^,}]*/"seconds":T/'
$CKPT list out-subset-include-exclude/x
