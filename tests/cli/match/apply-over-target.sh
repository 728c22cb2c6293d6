# Neither the checkpoint nor the target is ever written over, even with -f.
$CKPT match --apply -f -o match/keras/model.ckpt match/slim match/keras || echo "status $?"
$CKPT match --apply -f -o match/slim/model.ckpt match/slim match/keras
