# The checkpoint renamed by someone (a scope added): fixed in one step, the graph's restore
# list is then satisfied and the values are the original ones.
mkdir -p out-match-apply
$CKPT rename --add-prefix net/ -o out-match-apply/renamed sample/model.ckpt-1000 >/dev/null
$CKPT graph --check out-match-apply/renamed graph/run/model.ckpt-1000.meta >/dev/null || echo "graph --check: a restore would fail"
$CKPT match --apply -o out-match-apply/fixed out-match-apply/renamed graph/run/model.ckpt-1000.meta | sed -e "s/ in [0-9.]* s/ in T s/" -e "s/shared by [a-z ]*link/shared/"
$CKPT graph --check out-match-apply/fixed graph/run/model.ckpt-1000.meta | tail -2
$CKPT diff sample/model.ckpt-1000 out-match-apply/fixed
