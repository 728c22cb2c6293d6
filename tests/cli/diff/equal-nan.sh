$CKPT diff --include "^nan_" diffpair/a diffpair/b || true
$CKPT diff --include "^nan_" --equal-nan diffpair/a diffpair/b || true
