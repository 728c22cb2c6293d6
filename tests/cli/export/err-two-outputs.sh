$CKPT export --npz a.npz --safetensors b.safetensors sample/model.ckpt-1000
