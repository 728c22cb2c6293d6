# -n: the old -> new table with dtypes and shapes before and after; a tensor no rule accounts
# for is marked and noted (an error only with --strict)
printf 'drop optimizer\ntranspose kernel$ T\ns,/kernel$,.weight,\ncast ^dense_1/ float16\nkeep ^global_step$\n' > export-dry.rules
$CKPT export -n --rules export-dry.rules sample/model.ckpt-1000
echo "strict: $($CKPT export -n --strict --rules export-dry.rules sample/model.ckpt-1000 2>&1 >/dev/null)"
