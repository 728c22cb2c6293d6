$CKPT show --object-graph --json "$FIX/tensorflow+rust/examples/regression_savedmodel/variables/variables"
