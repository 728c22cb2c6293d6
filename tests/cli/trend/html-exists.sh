# The page is written atomically, never over an existing file without -f, never over an input.
cd "$TMPDIR"
echo old > page.html
$CKPT trend --html page.html -i dense $GEN/trendrun >/dev/null || echo "exit $?"
cat page.html
$CKPT trend -f --html page.html -i dense $GEN/trendrun >/dev/null
grep -c '<svg' page.html
$CKPT trend -f --html $GEN/trendrun/model.ckpt-500.index -i dense $GEN/trendrun >/dev/null
