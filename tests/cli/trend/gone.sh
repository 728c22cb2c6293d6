# Prefixes are taken in the order given: late/w, in model.ckpt-300 but not in -100, is gone.
cp -r trendrun "$TMPDIR/run" && cd "$TMPDIR"
for f in run/*.index; do touch -d '2024-05-01 12:00:00 UTC' "$f"; done
TZ=UTC $CKPT trend --ascii -x big run/model.ckpt-300 run/model.ckpt-100
