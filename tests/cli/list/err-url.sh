# A URL goes to the store's remote backend (https, http, s3, gs; the scheme in any case), and
# until one is built in it is refused by name, never looked for as a local path.
set +e
$CKPT list s3://bucket/model.ckpt
echo "exit $?"
$CKPT list HTTPS://host/x/model.ckpt.index
echo "exit $?"
$CKPT verify gs://bucket/run/
echo "exit $?"
