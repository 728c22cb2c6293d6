$CKPT list --include "(" sample
