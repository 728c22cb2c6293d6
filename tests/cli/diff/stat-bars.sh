# --stat: the bar is the relative change ||A-B||/||A|| on a log scale whose decades the header
# names (1e-06 to 1 here: 0.5, 0.01, 1e-4 and 1.4e-6 get 19, 13, 7 and 1 of 20 marks), not the
# share of elements changed (100% for every trained tensor); the counter global_step comes
# after the float tensors, without a bar.
$CKPT diff --stat trainpair/a trainpair/b || echo "status $?"
# --by-scope groups the changed tensors by scope (the innermost, or DEPTH levels), summing the
# counts and keeping the largest relative change; a name without a scope keeps its own line.
$CKPT diff --stat --by-scope trainpair/a trainpair/b || echo "status $?"
$CKPT diff --by-scope=1 trainpair/a trainpair/b || echo "status $?"
$CKPT diff --by-scope nanpair/a nanpair/b || echo "status $?"
# On a colour terminal (script(1) gives one) only the header line is bold, never a data row.
NO_COLOR= TERM=xterm script -qec "$CKPT diff --stat trainpair/a trainpair/b" /dev/null </dev/null |
	grep -a "$(printf '\033')\[1m" | sed "s/$(printf '\033')/ESC/g; s/$(printf '\r')//g"
# --by-scope groups --stat lines: not with --json or -q; its depth is 1 or more.
$CKPT diff --by-scope --json trainpair/a trainpair/b || echo "status $?"
$CKPT diff --by-scope=0 trainpair/a trainpair/b || echo "status $?"
