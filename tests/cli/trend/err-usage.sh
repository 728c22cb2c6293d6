$CKPT trend || echo "exit $?"
$CKPT trend --last x trendrun || echo "exit $?"
$CKPT trend --json --html p.html trendrun || echo "exit $?"
$CKPT trend --last 2 trendrun/model.ckpt-100 trendrun/model.ckpt-200 || echo "exit $?"
$CKPT trend --by-scope=0 trendrun || echo "exit $?"
$CKPT trend -i '(' trendrun
