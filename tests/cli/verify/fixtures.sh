$CKPT verify "$FIX/tensorflow+tfx/@2f98ebd/tfx/components/testdata/trainer/current/serving_model_dir/model.ckpt-10000" "$FIX/ByeonggeonGo+multi_agent_awac/training_checkpoints/ckpt-5"
