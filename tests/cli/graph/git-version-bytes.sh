# TF 1.x under Python 3 wrote its git version as a bytes repr, "b'v1.15.0-...'": shown without
# the b'...' (the same-length edit keeps the protobuf valid).
mkdir -p graph-git-bytes
cp graph/run/model.ckpt-1000.meta graph-git-bytes/m.meta
perl -pi -e "s/v1\.15\.0-rc3-22-g590d6ee/b'v1.15.0-rc3-22-g590d'/" graph-git-bytes/m.meta
grep -c "b'v1.15.0" graph-git-bytes/m.meta
$CKPT graph graph-git-bytes/m.meta | head -n 1
$CKPT graph --json graph-git-bytes/m.meta | grep git_version
