# dense/kernel went from all NaN to finite: changed whatever the tolerances, and with no finite
# pair its statistics are "-" in the table and null in JSON, never 0 (a CI rule
# rel_change > 0.1 must not pass it). dense/bias and inf_gone: statistics over their finite
# pairs only (3 of 4, 2 of 3); the NaN and Inf counts in their own labelled columns.
# inf_swapped (+Inf,-Inf -> -Inf,+Inf): no finite pair, no count changed, still changed.
$CKPT diff nanpair/a nanpair/b || echo "status $?"
$CKPT diff --atol 1e30 --rtol 1 --equal-nan --include '^dense/' nanpair/a nanpair/b || echo "status $?"
$CKPT diff --json --include '^dense/kernel$' nanpair/a nanpair/b || echo "status $?"
