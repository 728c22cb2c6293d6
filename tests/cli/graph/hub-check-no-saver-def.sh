# No saver_def to say which saver: the keys of both (never the initializers', which read
# another checkpoint), and the header says so.
$CKPT graph --check graph-hub/run graph-hub/nosaverdef.meta
