$CKPT cast -o x --to float16 -i "(" sample/model.ckpt-1000
