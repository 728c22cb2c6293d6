# Parameters are the model's floating-point elements: 32+8+9+10+6+5 = 70 here. The optimizer
# slots beside them (mesh-TF _slot_vr/_slot_vc/_slot_v 4+8+8, LAMB 9+9, RMSProp 10+10,
# LARSOptimizer 6, Adagrad and Momentum 5+5 = 74) are counted apart; the int64 step and the
# two strings are neither. Size: 18 tensors, 596 bytes of payload.
$CKPT list slots | tail -n 1
$CKPT list -b slots | tail -n 1
$CKPT list --json slots | sed -n '/"totals"/,$p'
