# A training folder is verified whole: every checkpoint its state file lists and every other
# *.index there, each named; one damaged checkpoint fails the folder (exit 1), even when the
# newest one is intact. --latest keeps the old check of the newest only.
cd "$TMPDIR"
cp -r "$GEN/sample" run
cp run/model.ckpt-500.index run/model.ckpt-1600.index
cp run/model.ckpt-500.data-00000-of-00001 run/model.ckpt-1600.data-00000-of-00001
printf '\001' | dd of=run/model.ckpt-1600.data-00000-of-00001 bs=1 seek=5000 conv=notrunc status=none
set +e
$CKPT verify run
echo "exit $?"
$CKPT verify --latest run
echo "exit $?"
$CKPT verify -q --json run | grep -E '"(path|status)"'
