$CKPT graph "$FIX/jonholifield+tensorflow_mechanics_101/data/checkpoint-999"
