# A URL goes to the store's remote backend (https, http, s3, gs; the scheme in any case), never
# looked for as a local path; these are malformed, and refused by name before any request.
set +e
$CKPT list s3:///model.ckpt
echo "exit $?"
$CKPT list HTTPS:///x/model.ckpt.index
echo "exit $?"
STORAGE_EMULATOR_HOST=ftp://127.0.0.1:1 $CKPT verify gs://bucket/run/
echo "exit $?"
