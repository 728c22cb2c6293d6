# Weights from elsewhere: a scope added, a 12-class head, no optimizer slots.
$CKPT graph --check graph/ported graph/run/model.ckpt-1000.meta
