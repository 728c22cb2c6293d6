$CKPT show names/ckpt --match . --index "[]"
