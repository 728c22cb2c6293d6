$CKPT list "$FIX/deepmodeling+deepmd-kit/@7efbdf9/model.ckpt"
