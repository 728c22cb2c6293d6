# A TF1 prefix with its .meta beside it: the TF version that wrote it is named.
$CKPT list "$FIX/Lapis-Hong+wide_deep_demo/census_model" | tail -n 2
$CKPT list --json "$FIX/Lapis-Hong+wide_deep_demo/census_model" | grep tf_version
