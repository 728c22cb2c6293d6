# --partial loosens a preset; with --rules there is nothing to loosen
printf 'keep .\n' > export-partial.rules
$CKPT export --partial --rules export-partial.rules --safetensors out-partial.st sample/model.ckpt-1000
