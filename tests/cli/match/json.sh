$CKPT match --json match/slim match/keras
