$CKPT show --stats --match "kernel" nonexistent/ckpt
