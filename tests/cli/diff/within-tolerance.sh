# "identical" is only for bit-identical values: 'tol' differs by 0.0005, inside --atol 0.001, so
# it is within tolerance (exit 0), counted apart from 'same' (the same bytes) in the summary,
# the -v table and the JSON (status and summary).
$CKPT diff --atol 0.001 --include '^(same|tol)$' diffpair/a diffpair/b
$CKPT diff --atol 0.001 --include '^(same|tol)$' -v diffpair/a diffpair/b
$CKPT diff --atol 0.001 --include '^(same|tol)$' --stat diffpair/a diffpair/b
$CKPT diff --atol 0.001 --include '^(same|tol)$' --json diffpair/a diffpair/b | grep -E '"(name|status|identical|within_tolerance|changed)"'
