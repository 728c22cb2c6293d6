# --rules: every tensor no rule accounts for and every rule that matches nothing is listed, in
# the warning and in the --strict error (the list stopped after the first tensor)
printf 'drop optimizer\ns,^global_step$,gs,\nkeep ^dense/\ndrop ^zzz$\n' > rename-problems.rules
$CKPT rename -n --rules rename-problems.rules sample/model.ckpt-1000 >/dev/null
$CKPT rename -n --strict --rules rename-problems.rules sample/model.ckpt-1000
