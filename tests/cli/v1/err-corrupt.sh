cp "$FIX/jonholifield+tensorflow_mechanics_101/data/checkpoint-999" c
chmod u+w c
printf '\377\377\377\377' | dd of=c bs=1 seek=100000 conv=notrunc 2>/dev/null
$CKPT list c
