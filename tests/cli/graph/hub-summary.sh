# A TF-Hub style graph: resource handles counted apart, the savers' filename placeholders
# hidden, the other restore ops (save/, checkpoint_initializer) listed beside the saver_def's.
$CKPT graph graph-hub/run
