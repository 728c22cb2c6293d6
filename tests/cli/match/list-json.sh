# The target as 'ckpt list --json' prints it.
mkdir -p out-match-list-json
$CKPT list --json match/keras >out-match-list-json/keras.json
$CKPT match match/slim out-match-list-json/keras.json | tail -1
