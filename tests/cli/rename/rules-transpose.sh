# rename never changes data: a transpose rule sends the user to export.
printf 'transpose kernel T\n' > rename-rules-t.rules
$CKPT rename --rules rename-rules-t.rules -o out-rename-rules-t/x sample/model.ckpt-1000
