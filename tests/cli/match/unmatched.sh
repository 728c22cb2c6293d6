# Weights from elsewhere: the scope is out-match-unmatched/fixed, but a 12-class head cannot serve a 10-class
# graph and the checkpoint has no optimizer slots: listed, nothing invented, exit 1.
mkdir -p out-match-unmatched
$CKPT match graph/ported graph/run/model.ckpt-1000.meta
