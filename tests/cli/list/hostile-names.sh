# Control characters, invalid UTF-8 and backslashes are escaped, never printed raw.
$CKPT list names/ckpt
$CKPT list --json names/ckpt | grep -e name
