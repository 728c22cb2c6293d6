$CKPT graph --json --check v1/wrong "$FIX/jonholifield+tensorflow_mechanics_101/data/checkpoint-999.meta"
