cp "$FIX/ByeonggeonGo+multi_agent_awac/training_checkpoints/ckpt-1.index" ckpt-1.index
$CKPT list -w 70 ckpt-1 | head -n 6
