# A folder whose checkpoints sit one level down: the error names those subfolders
mkdir -p "$TMPDIR/runs/empty" && cp -r sample "$TMPDIR/runs/b" && cp -r partitioned "$TMPDIR/runs/a"
cd "$TMPDIR" && $CKPT list runs
