# the presets shipped in presets/, found beside the binary, with their first comment line
$CKPT export --list-presets | sed 1d
