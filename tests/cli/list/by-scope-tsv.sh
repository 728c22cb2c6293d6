# --by-scope with --format tsv: one line a scope, its full name, numbers unformatted.
$CKPT list --by-scope -f tsv slots
