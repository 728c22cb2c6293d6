# a rules file's mistakes are reported as FILE:LINE, and nothing is written
printf '# comment\n\ndrop optimizer\ncast kernel int8\n' > export-bad.rules
$CKPT export --rules export-bad.rules --safetensors out-export-bad.st sample/model.ckpt-1000
