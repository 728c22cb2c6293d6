$CKPT graph --check "$FIX/jonholifield+tensorflow_mechanics_101/data"
