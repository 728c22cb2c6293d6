$CKPT match --format yaml match/slim match/keras
