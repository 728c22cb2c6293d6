# an unknown preset names where presets were looked for; a preset name is a plain word
$CKPT export --preset ../etc/passwd -n sample/model.ckpt-1000 || true
$CKPT export --preset nosuch -n sample/model.ckpt-1000 2>&1 | sed 's# in .*presets # in PRESETS #'
