$CKPT export --safetensors b.safetensors -z sample/model.ckpt-1000
