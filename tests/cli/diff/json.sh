$CKPT diff --json --atol 1e-3 --include "^(changed|tol|step|vocab|same|nan_inf|part2)$" diffpair/a diffpair/b
