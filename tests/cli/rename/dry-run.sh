$CKPT rename -n 's/^dense(_1)?\//layer\1\//' 'global_step=step' sample/model.ckpt-1000
test ! -e out-rename-dry-run
