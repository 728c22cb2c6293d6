$CKPT diff --atol 0.0005 --include "^tol$" diffpair/a diffpair/b && echo "exactly at atol: equal"
$CKPT diff --atol 0.00049 --include "^tol$" diffpair/a diffpair/b || echo "status $?"
$CKPT diff --rtol 0.00025 --include "^tol$" diffpair/a diffpair/b || echo "status $? (rtol 0.00025*|b|=0.00025025 < 0.0005)"
$CKPT diff --rtol 0.0005 --include "^tol$" -v diffpair/a diffpair/b
