# A graph's tensor name NAME:0 finds the tensor NAME (with a note); NAME:1 does not. The TF2
# object graph is a serialized proto: show points to --object-graph instead of printing bytes
$CKPT show showedge/ckpt dense/kernel:0 _CHECKPOINTABLE_OBJECT_GRAPH
$CKPT show --json showedge/ckpt _CHECKPOINTABLE_OBJECT_GRAPH
$CKPT show showedge/ckpt dense/kernel:1 || echo "exit $?"
