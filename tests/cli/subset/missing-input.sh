$CKPT subset -o out-subset-missing-input/x nope/model.ckpt
