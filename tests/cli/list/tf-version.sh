# A TF1 prefix with its .meta beside it: the TF version that wrote it is named, on the first
# line, so that the totals stay the last (`| tail -n 1`).
$CKPT list "$FIX/Lapis-Hong+wide_deep_demo/census_model" | head -n 1
$CKPT list "$FIX/Lapis-Hong+wide_deep_demo/census_model" | tail -n 1
$CKPT list --json "$FIX/Lapis-Hong+wide_deep_demo/census_model" | grep tf_version
