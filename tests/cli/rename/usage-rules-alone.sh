# --rules FILE is the whole renaming: with other rules or --full-names (the rules language's
# 'fullname' does that) it is a usage error, nothing written
printf 's/dense/fc/\n' > rules-alone.rules
$CKPT rename --rules rules-alone.rules --full-names -o out-rename-rules-alone/x sample/model.ckpt-1000 || echo "status $?"
$CKPT rename --rules rules-alone.rules --add-prefix net/ -o out-rename-rules-alone/x sample/model.ckpt-1000 || echo "status $?"
ls out-rename-rules-alone 2>/dev/null || echo "nothing written"
