# --json lists the keys kept because their full names collide.
$CKPT rename --json --full-names -o out-rename-full-json/x tf2/ckpt-1 2>/dev/null | grep -v '"seconds"\|"how"\|"shared"\|"linked"\|"copied\|"data"'
