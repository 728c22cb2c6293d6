# --json: the schema of issue 20 (null where no value), relative prefixes as typed.
$CKPT trend --json --last 3 trendrun || echo "exit $?"
