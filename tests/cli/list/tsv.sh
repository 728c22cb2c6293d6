$CKPT list --format tsv -l sample
