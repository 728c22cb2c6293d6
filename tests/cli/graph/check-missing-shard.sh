# A real checkpoint whose data shard was never committed (the .index and .meta only).
$CKPT graph --check "$FIX/AnuragBalsaraf+Mask-Nomask-Detection-With-FasterRCNN-and-SSD-Mobilenet/@73bb7ed/model.ckpt"
