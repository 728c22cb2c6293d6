# The value of the chosen input wins: compare the CRCs.
$CKPT merge -o out-merge-on-conflict/last --on-conflict last sample/model.ckpt-500 sample/model.ckpt-1000 | sed -e "s/ in [0-9.]* s/ in T s/"
$CKPT merge -o out-merge-on-conflict/first --prefer first sample/model.ckpt-500 sample/model.ckpt-1000 | sed -e "s/ in [0-9.]* s/ in T s/"
$CKPT list --format tsv -l sample/model.ckpt-1000 | cut -f1,9 >want-last
$CKPT list --format tsv -l out-merge-on-conflict/last | cut -f1,9 >got-last
$CKPT list --format tsv -l sample/model.ckpt-500 | cut -f1,9 >want-first
$CKPT list --format tsv -l out-merge-on-conflict/first | cut -f1,9 >got-first
cmp want-last got-last && cmp want-first got-first && echo values from the chosen inputs
