# --saver picks the restore ops to check: the module's own checkpoint against save/ and
# against the checkpoint_initializer ops (both read "bias" and "embeddings").
$CKPT graph --check graph-hub/module/variables --saver save graph-hub/run
$CKPT graph --check graph-hub/module/variables --saver checkpoint_initializer graph-hub/run
