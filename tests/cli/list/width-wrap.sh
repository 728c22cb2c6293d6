# At 40 columns the names do not fit. They differ in the middle (block and layer numbers), so
# cutting them there made every row look alike; each is printed whole instead, its row below.
$CKPT list -w 40 many | head -n 7
