cp -r trendrun "$TMPDIR/run" && cd "$TMPDIR"
for f in run/*.index; do touch -d '2024-05-01 12:00:00 UTC' "$f"; done
TZ=UTC $CKPT trend --ascii --by-scope=1 -x '^head/' run
