# Tensors of 3 MiB are compared in two halves on two cores: the indices, and ||A|| of a
# tensor that differs only in its second half, as one pass would give them.
$CKPT diff halves/a halves/b || echo "status $?"
$CKPT diff --json -i '^second$' halves/a halves/b |
	grep -E '"(different|first_index|max_index|max_abs_diff|rel_change)"' || echo "status $?"
