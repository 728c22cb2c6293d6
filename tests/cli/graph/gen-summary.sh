# The generated TF 1.15 training graph (mkckpt graph): what it feeds, holds and restores.
$CKPT graph graph/run/model.ckpt-1000.meta
