# The terminal table at 80 columns, ASCII sparklines; file times fixed, shown in UTC.
cp -r trendrun "$TMPDIR/run" && cd "$TMPDIR"
for f in run/*.index; do touch -d '2024-05-01 12:00:00 UTC' "$f"; done
touch -d '2024-05-02 08:30:00 UTC' run/model.ckpt-500.index
TZ=UTC $CKPT trend --ascii -w 80 run || echo "exit $?"
