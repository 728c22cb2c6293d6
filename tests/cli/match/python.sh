# The assignment_map for tf.compat.v1.train.init_from_checkpoint, read by Python's own parser.
mkdir -p out-match-python
$CKPT match --format python match/slim match/keras >out-match-python/am.py
cat out-match-python/am.py
python3 - <<'PY'
import ast
tree = ast.parse(open("out-match-python/am.py").read())
assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Assign)
assert tree.body[0].targets[0].id == "assignment_map"
m = ast.literal_eval(tree.body[0].value)
print(len(m), "pairs;", m["net/encoder/dense/weights"], "<-", "net/encoder/dense/weights")
PY
