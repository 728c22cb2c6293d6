$CKPT diff --atol -1 a b || true
$CKPT diff --stat --json a b || true
$CKPT diff -r "nonsense" a b || true
$CKPT diff --rtoll 1 a b
