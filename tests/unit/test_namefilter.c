/* What counts as optimizer state: the slot spellings real optimizers write, and model
 * variables that merely look alike. */
#include "edit/namefilter.h"
#include "tap.h"

/* The patterns answered without regexec (`--match .`) answer as regexec does. */
static void test_trivial_patterns(void)
{
	static const char *const res[] = { ".", "", ".*", "^", "$", "a", ".." };
	static const char *const names[] = { "", "a", "\n", "\xff", "a.b", "ab" };
	int bad = 0;

	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		struct namefilter f = { 0 };
		struct ck_err err;
		regex_t re;
		if (namefilter_add(&f, res[i], 0, &err) ||
		    regcomp(&re, res[i], REG_EXTENDED | REG_NOSUB)) {
			bad++;
			continue;
		}
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (namefilter_inc_match(&f, 0, names[k]) != !regexec(&re, names[k], 0, NULL, 0) ||
			    namefilter_match(&f, names[k]) != !regexec(&re, names[k], 0, NULL, 0))
				bad++;
		regfree(&re);
		namefilter_release(&f);
	}
	ok(!bad, "patterns taken without regexec match as regexec does (%d wrong)", bad);
}

int main(void)
{
	/* Each spelling as the optimizer's source names it (tf.train, tf.contrib, Keras, BERT,
	 * LAMB ports, mesh-TF's optimize.py, tensor2tensor's adafactor.py). */
	static const char *const slots[] = {
		"dense/kernel/Adam", "dense/kernel/Adam_1", "beta1_power", "beta2_power_1",
		"dense/kernel/Momentum", "dense/kernel/RMSProp", "dense/kernel/RMSProp_1",
		"dense/kernel/RMSProp_2", "dense/kernel/Adagrad", "dense/kernel/AdagradDA_1",
		"dense/kernel/Ftrl_1", "dense/kernel/Adadelta", "dense/kernel/LazyAdam_1",
		"dense/kernel/LARSOptimizer", "dense/kernel/LARS", "dense/kernel/LAMB_1",
		"dense/kernel/Adafactor", "dense/kernel/Adafactor_2",
		"dnn/hiddenlayer_0/kernel/part_0/Adagrad",
		"bert/encoder/layer_0/attention/self/query/kernel/adam_m",
		"bert/encoder/layer_0/attention/self/query/kernel/adam_v",
		"bert/embeddings/word_embeddings/lamb_m", "bert/embeddings/word_embeddings/lamb_v",
		"encoder/block_000/layer_000/SelfAttention/q_slot_vr",
		"encoder/block_000/layer_000/SelfAttention/q_slot_vc",
		"encoder/final_layer_norm/scale_slot_v", "shared/embedding_slot_m",
		"decoder/logits/kernel_momentum_v",
		"training/Adam/dense/kernel/m", "training/SGD/iter",
		"model/layer/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
		"optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE",
		"optimizer/learning_rate/.ATTRIBUTES/VARIABLE_VALUE",
		/* dots are legal in TF1 names: not taken for TF2 keys */
		"layer.1/kernel/Adam", "layer.1/kernel/adam_m", "layer.1/q_slot_vc", "v1.0/beta1_power",
	};
	static const char *const model[] = {
		"dense/kernel", "dense/bias", "global_step", "batch_normalization/moving_mean",
		"encoder/block_000/layer_000/SelfAttention/q", "bert/embeddings/LayerNorm/gamma",
		"model/optimizer_head/kernel", "layer/Adamson", "my_slot_value", "momentum",
		"dense/kernel/ExponentialMovingAverage", "_CHECKPOINTABLE_OBJECT_GRAPH",
		"model/layer/kernel/.ATTRIBUTES/VARIABLE_VALUE", "adam_m", "layer.1/kernel",
		"model/Adam/.ATTRIBUTES/VARIABLE_VALUE", "bert/embeddings/LayerNorm/beta", "beta",
	};

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		ok(is_optimizer_name(slots[i]), "optimizer state: %s", slots[i]);
	for (size_t i = 0; i < sizeof(model) / sizeof(model[0]); i++)
		ok(!is_optimizer_name(model[i]), "model variable: %s", model[i]);
	is_int(optimizer_slot_owner("dense/kernel/Adam_1"), 12, "a TF1 slot's variable");
	is_int(optimizer_slot_owner("bert/pooler/kernel/lamb_v"), 18, "a LAMB slot's variable");
	is_int(optimizer_slot_owner("enc/q_slot_vr"), 0, "a mesh-TF slot has no '/' of its own");
	is_int(optimizer_slot_owner("training/Adam/dense/kernel/m"), 0, "Keras: a scope, not a suffix");
	is_int(optimizer_slot_owner("dense/kernel"), 0, "a model variable");
	test_trivial_patterns();
	return tap_done();
}
