# A copy of the sample folder: the generated sets are shared by every case.
cp -r sample us
$CKPT rename -o us/renamed --update-state 'global_step=step' us/model.ckpt-1000 | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/"
cat us/checkpoint
$CKPT list us | tail -1
$CKPT rename -o us/again --update-state 'step=gs' us/renamed >/dev/null
cat us/checkpoint
$CKPT rename -o fresh/r --update-state 'step=gs' us/renamed >/dev/null
cat fresh/checkpoint
