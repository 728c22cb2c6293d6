$CKPT diff -r "encoder/=enc/" --include "^enc" diffpair/a diffpair/b && echo "renamed: equal"
printf "# map\ns/^encoder/enc/\nnew\tgone\n" > "$TMPDIR/map"
$CKPT diff --map "$TMPDIR/map" -i "^(enc|gone)" -v diffpair/a diffpair/b || echo "status $?"
$CKPT diff -r "nomatch=x" -r "s/^new\$//" -i "^(new|same)$" diffpair/a diffpair/b && echo "dropped: equal"
