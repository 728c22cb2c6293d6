# Weights saved under net/: every key is missing, the matcher finds them all under the scope,
# and the one command graph --check prints writes a checkpoint the graph restores.
$CKPT rename -o net/model.ckpt --add-prefix net/ graph/run >/dev/null
$CKPT graph --check net/model.ckpt graph/run/model.ckpt-1000.meta || echo "status $?"
cmd=$($CKPT graph --check net/model.ckpt graph/run/model.ckpt-1000.meta | sed -n 's/^  ckpt match /match /p')
echo "running: ckpt $cmd"
$CKPT $(echo "$cmd" | sed 's/FIXED/fixed\/model.ckpt/') >/dev/null || echo "status $?"
$CKPT graph --check fixed/model.ckpt graph/run/model.ckpt-1000.meta
$CKPT diff graph/run fixed/model.ckpt
