$CKPT match --apply match/slim match/keras
