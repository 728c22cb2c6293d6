# Rules apply to the full names: a TF1 checkpoint under a scope, in one step.
$CKPT rename -n --full-names --add-prefix net/ -o out-rename-full-rules/x tf2/ckpt-1
