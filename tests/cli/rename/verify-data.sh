$CKPT rename --verify-data --json -o out-rename-verify-data/v 'a/=z/' twoshards/model | sed 's/"seconds":[^,}]*/"seconds":T/; s/"data":[[:space:]]*"[a-z]*"/"data": D/'
