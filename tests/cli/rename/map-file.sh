printf 'dense/kernel\tenc/w\n# a comment\n\ndense/bias\tenc/b\n' >map.tsv
printf '{"dense_1/kernel": "head/w", "dense_1/bias": "head/b"}' >map.json
$CKPT rename -n -m map.tsv --map-file map.json sample/model.ckpt-1000
