# The summary counts the tensor data exported through --rules as without them (it said 0 B):
# renaming every tensor exports the same data as the plain export
$CKPT export --npz plain.npz sample/model.ckpt-1000
printf 's/^/renamed\\//\n' > export-summary.rules
$CKPT export --rules export-summary.rules --npz renamed.npz sample/model.ckpt-1000
$CKPT export --rules export-summary.rules --npz renamed-json.npz --json sample/model.ckpt-1000 |
	grep -o '"tensor_bytes":[^,}]*'
$CKPT export --npz plain-json.npz --json sample/model.ckpt-1000 | grep -o '"tensor_bytes":[^,}]*'
