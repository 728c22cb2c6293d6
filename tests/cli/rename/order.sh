# Rules apply in the order given: a prefix added first is seen by the next rule.
$CKPT rename -n --add-prefix x/ 'x/global_step=step' sample/model.ckpt-1000 | grep -e step -e renamed
$CKPT rename -n 'x/global_step=step' --add-prefix x/ sample/model.ckpt-1000 | grep -e step -e renamed
