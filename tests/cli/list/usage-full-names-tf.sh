$CKPT list --full-names --format tf graph/run
