# A name-based checkpoint has no object graph: its keys are the variable names, said once.
$CKPT list --full-names --include '^dense/' graph/run
