# A 70,000-byte name in a message is shown with its middle left out, keeping both ends: the
# line stays short (it was 70 KB).
{ printf 'start/'; head -c 70000 /dev/zero | tr '\0' a; printf '/end\n'; } > "$TMPDIR/names"
$CKPT subset -n --names-from "$TMPDIR/names" sample/model.ckpt-1000 -o "$TMPDIR/o"
