$CKPT graph --chek model.ckpt
