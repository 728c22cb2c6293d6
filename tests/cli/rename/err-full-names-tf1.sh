# A name-based checkpoint has no full names to take.
$CKPT rename --full-names -o out-rename-full-tf1/x graph/run
