# --only-matched: the slots the target does not name are left out; without it they follow
# their variables' new names.
mkdir -p out-match-apply-only-matched
$CKPT match --apply --only-matched -o out-match-apply-only-matched/fixed match/slim match/keras | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/"
$CKPT diff --names-only match/keras out-match-apply-only-matched/fixed
$CKPT match --apply -o out-match-apply-only-matched/all match/slim match/keras >/dev/null
$CKPT list out-match-apply-only-matched/all | grep Momentum
