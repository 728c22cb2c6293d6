# Unicode block sparklines in a UTF-8 locale; names shortened to 60 columns.
cp -r trendrun "$TMPDIR/run" && cd "$TMPDIR"
for f in run/*.index; do touch -d '2024-05-01 12:00:00 UTC' "$f"; done
LC_ALL=C.UTF-8 TZ=UTC $CKPT trend -w 60 run/model.ckpt-100 run/model.ckpt-300 run/model.ckpt-500 || echo "exit $?"
