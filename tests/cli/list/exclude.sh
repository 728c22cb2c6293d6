$CKPT list -x Adam -x power sample --bytes
