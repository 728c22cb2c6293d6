mkdir out-rename-output-folder
$CKPT rename -o out-rename-output-folder 'global_step=step' sample/model.ckpt-1000
