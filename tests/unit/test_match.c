/* match: each rule of the matcher, and what it must never do (pair another dtype or shape,
 * use a tensor twice, guess among equals). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/dtype.h"
#include "edit/match.h"
#include "tap.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct spec {
	const char *name;
	int dtype, rank;
	int64_t dims[2];
	const char *full;
};

static struct match_item *items(const struct spec *s, size_t n)
{
	struct match_item *v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i].name = (const uint8_t *)s[i].name;
		v[i].len = strlen(s[i].name);
		v[i].full = (const uint8_t *)s[i].full;
		v[i].full_len = s[i].full ? strlen(s[i].full) : 0;
		v[i].dtype = s[i].dtype;
		v[i].rank = s[i].rank;
		v[i].dims = s[i].dims;
	}
	return v;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct match_result run(const struct spec *t, size_t nt, const struct spec *s, size_t ns)
{
	struct match_item *ti = items(t, nt), *si = items(s, ns);
	struct match_result r;
	match_run(ti, nt, si, ns, &r);
	free(ti);
	free(si);
	return r;
}

int main(void)
{
	struct match_result r;

	{	/* a scope added, and the TF1 slim leaf names of another API */
		static const struct spec t[] = {
			{ "dense/kernel", DT_FLOAT, 2, { 4, 3 } }, { "dense/bias", DT_FLOAT, 1, { 3 } },
			{ "dense_1/kernel", DT_FLOAT, 2, { 3, 2 } }, { "dense_1/bias", DT_FLOAT, 1, { 2 } },
			{ "global_step", DT_INT64, 0, { 0 } },
		};
		static const struct spec s[] = {
			{ "net/dense/weights", DT_FLOAT, 2, { 4, 3 } }, { "net/dense/biases", DT_FLOAT, 1, { 3 } },
			{ "net/dense_1/weights", DT_FLOAT, 2, { 3, 2 } }, { "net/dense_1/biases", DT_FLOAT, 1, { 2 } },
			{ "global_step", DT_INT64, 0, { 0 } },
			{ "net/dense/weights/Adam", DT_FLOAT, 2, { 4, 3 } },
		};
		r = run(t, N(t), s, N(s));
		is_int(r.npaired, 5, "every target paired");
		is_int(r.t[0].src, 0, "dense/kernel <- net/dense/weights");
		is_int(r.t[0].how, MATCH_REWRITE, "by a rewrite");
		ok(r.t[0].leaf_renamed, "with the leaf renamed");
		is_int(r.t[3].src, 3, "dense_1/bias <- net/dense_1/biases");
		is_int(r.t[4].how, MATCH_EXACT, "global_step exactly");
		is_int(r.nrewrites, 1, "one rewrite");
		ok(r.nrewrites == 1 && !strcmp(r.rewrites[0].from, "net/") && !*r.rewrites[0].to,
		   "it drops net/");
		is_int(r.rewrites[0].uses, 4, "used four times");
		is_int(r.tgt_of[5], MATCH_NONE, "the slot is left over");
		is_int(r.kind[5], MATCH_SLOT, "as an optimizer slot");
		is_int(r.kind[4], MATCH_COUNTER, "global_step is a counter");
		match_release(&r);
	}
	{	/* a scope replaced deeper in the name */
		static const struct spec t[] = {
			{ "encoder/layer_0/kernel", DT_FLOAT, 2, { 2, 2 } },
			{ "encoder/layer_1/kernel", DT_FLOAT, 2, { 2, 2 } },
		};
		static const struct spec s[] = {
			{ "model/encoder/layer_1/kernel", DT_FLOAT, 2, { 2, 2 } },
			{ "model/encoder/layer_0/kernel", DT_FLOAT, 2, { 2, 2 } },
		};
		r = run(t, N(t), s, N(s));
		ok(r.t[0].src == 1 && r.t[1].src == 0, "same shapes told apart by the rewrite");
		ok(r.nrewrites == 1 && !strcmp(r.rewrites[0].from, "model/"), "model/ dropped");
		match_release(&r);
	}
	{	/* never another dtype or shape, even under the very same name */
		static const struct spec t[] = { { "a", DT_FLOAT, 1, { 3 } }, { "b", DT_FLOAT, 1, { 3 } } };
		static const struct spec s[] = { { "a", DT_FLOAT, 1, { 4 } }, { "b", DT_DOUBLE, 1, { 3 } } };
		r = run(t, N(t), s, N(s));
		is_int(r.npaired, 0, "nothing paired");
		is_int(r.t[0].conflict, 0, "a: same name, another shape");
		is_int(r.t[1].conflict, 1, "b: same name, another dtype");
		is_int(r.t[0].ncand, 0, "no candidate");
		match_release(&r);
	}
	{	/* unique by dtype and shape; unknown dims agree with anything */
		static const struct spec t[] = { { "x", DT_FLOAT, 1, { 5 } }, { "y", 0, -1, { 0 } },
						 { "z", DT_INT32, 2, { -1, 7 } } };
		static const struct spec s[] = { { "foo", DT_FLOAT, 1, { 5 } }, { "y", DT_HALF, 3, { 1, 1 } },
						 { "bar", DT_INT32, 2, { 9, 7 } } };
		r = run(t, N(t), s, N(s));
		ok(r.t[0].src == 0 && r.t[0].how == MATCH_SHAPE, "x <- foo: the one float32 [5]");
		ok(r.t[1].src == 1 && r.t[1].how == MATCH_EXACT, "y: an unknown dtype and shape");
		ok(r.t[2].src == 2 && r.t[2].how == MATCH_SHAPE, "z [?,7] <- bar [9,7]");
		match_release(&r);
	}
	{	/* two same-shape biases told apart by their names */
		static const struct spec t[] = { { "enc/bias", DT_FLOAT, 1, { 8 } }, { "dec/bias", DT_FLOAT, 1, { 8 } } };
		static const struct spec s[] = { { "decoder_layer/b", DT_FLOAT, 1, { 8 } },
						 { "encoder_layer/b", DT_FLOAT, 1, { 8 } } };
		r = run(t, N(t), s, N(s));
		ok(r.t[0].src == 1 && r.t[1].src == 0, "enc <- encoder_layer, dec <- decoder_layer");
		is_int(r.t[0].how, MATCH_SIMILAR, "by similar names");
		match_release(&r);
	}
	{	/* equally close names: layer order breaks the tie */
		static const struct spec t[] = { { "conv2/W", DT_FLOAT, 1, { 8 } }, { "conv1/W", DT_FLOAT, 1, { 8 } } };
		static const struct spec s[] = { { "layer_b", DT_FLOAT, 1, { 8 } }, { "layer_a", DT_FLOAT, 1, { 8 } } };
		r = run(t, N(t), s, N(s));
		ok(r.t[0].src == 0 && r.t[1].src == 1, "conv1 <- layer_a, conv2 <- layer_b");
		is_int(r.t[0].how, MATCH_ORDER, "by order");
		match_release(&r);
	}
	{	/* ambiguous: reported, not guessed */
		static const struct spec t[] = { { "x/kernel", DT_FLOAT, 2, { 3, 3 } } };
		static const struct spec s[] = { { "a/kernel", DT_FLOAT, 2, { 3, 3 } },
						 { "b/kernel", DT_FLOAT, 2, { 3, 3 } } };
		r = run(t, N(t), s, N(s));
		is_int(r.npaired, 0, "not paired");
		is_int(r.t[0].ncand, 2, "two candidates");
		is_int(r.nambiguous, 1, "one ambiguous target");
		match_release(&r);
	}
	{	/* one tensor, two targets: never used twice */
		static const struct spec t[] = { { "x1", DT_FLOAT, 1, { 2 } }, { "x2", DT_FLOAT, 1, { 2 } } };
		static const struct spec s[] = { { "y", DT_FLOAT, 1, { 2 } } };
		r = run(t, N(t), s, N(s));
		is_int(r.npaired, 0, "a tie over one tensor pairs neither");
		ok(r.t[0].ncand == 1 && r.t[1].ncand == 1, "both list it");
		match_release(&r);
	}
	{	/* a slot never stands in for a variable after the name rules */
		static const struct spec t[] = { { "dense/kernel", DT_FLOAT, 2, { 2, 2 } } };
		static const struct spec s[] = { { "other/kernel/Adam", DT_FLOAT, 2, { 2, 2 } } };
		r = run(t, N(t), s, N(s));
		is_int(r.npaired, 0, "not paired");
		is_int(r.t[0].ncand, 0, "no candidate of its kind");
		match_release(&r);
	}
	{	/* TF2: the object graph's full names, and the attribute suffix */
		static const struct spec t[] = { { "dense/kernel", DT_FLOAT, 2, { 2, 2 } },
						 { "dense/bias", DT_FLOAT, 1, { 2 } } };
		static const struct spec s[] = {
			{ "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE", DT_FLOAT, 2, { 2, 2 }, "dense/kernel" },
			{ "dense/bias/.ATTRIBUTES/VARIABLE_VALUE", DT_FLOAT, 1, { 2 } },
		};
		r = run(t, N(t), s, N(s));
		ok(r.t[0].src == 0 && r.t[0].how == MATCH_FULL_NAME, "by the recorded full name");
		ok(r.t[1].src == 1 && r.t[1].how == MATCH_FULL_NAME, "by the key without its attribute");
		match_release(&r);
	}
	{	/* the same key pairs even when the target's full name is shared (Keras metrics'
		 * count and total: what 'rename --full-names' leaves under their keys) */
		static const struct spec t[] = {
			{ "keras_api/metrics/0/count/.ATTRIBUTES/VARIABLE_VALUE", DT_FLOAT, 0, { 0 }, "count" },
			{ "keras_api/metrics/1/count/.ATTRIBUTES/VARIABLE_VALUE", DT_FLOAT, 0, { 0 }, "count" },
		};
		static const struct spec s[] = {
			{ "keras_api/metrics/0/count/.ATTRIBUTES/VARIABLE_VALUE", DT_FLOAT, 0, { 0 } },
			{ "keras_api/metrics/1/count/.ATTRIBUTES/VARIABLE_VALUE", DT_FLOAT, 0, { 0 } },
		};
		r = run(t, N(t), s, N(s));
		ok(r.t[0].src == 0 && r.t[0].how == MATCH_EXACT &&
		   r.t[1].src == 1 && r.t[1].how == MATCH_EXACT, "the same key, full names aside");
		match_release(&r);
	}
	{	/* nothing: no input, and a target that nothing can satisfy */
		static const struct spec t[] = { { "head/kernel", DT_FLOAT, 2, { 128, 12 } } };
		static const struct spec s[] = { { "head/kernel", DT_FLOAT, 2, { 128, 10 } } };
		r = run(t, N(t), s, N(s));
		ok(r.npaired == 0 && r.t[0].ncand == 0 && r.t[0].conflict == 0, "nothing invented");
		match_release(&r);
		match_run(NULL, 0, NULL, 0, &r);
		is_int(r.npaired, 0, "empty sides");
		match_release(&r);
	}
	{	/* names after the match: slots move with their variable, never onto a target's name */
		static const struct spec t[] = { { "enc/kernel", DT_FLOAT, 2, { 2, 2 } },
						 { "enc/kernel/Adam", DT_FLOAT, 2, { 3, 3 } } };
		static const struct spec s[] = { { "net/enc/kernel", DT_FLOAT, 2, { 2, 2 } },
						 { "net/enc/kernel/Momentum", DT_FLOAT, 2, { 2, 2 } },
						 { "net/enc/kernel/Adam", DT_FLOAT, 2, { 2, 2 } },
						 { "other", DT_FLOAT, 0, { 0 } } };
		struct match_item *ti = items(t, N(t)), *si = items(s, N(s));
		struct buf out[4] = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT };
		unsigned char moved[4];
		size_t n;
		match_run(ti, N(t), si, N(s), &r);
		is_int(r.t[0].src, 0, "enc/kernel <- net/enc/kernel");
		n = match_new_names(ti, N(t), si, N(s), &r, out, moved);
		ok(out[0].len && !strcmp((char *)out[0].p, "enc/kernel"), "the pair takes the target's name");
		ok(!strcmp((char *)out[1].p, "enc/kernel/Momentum") && moved[1], "its slot moves with it");
		ok(!strcmp((char *)out[2].p, "net/enc/kernel/Adam") && !moved[2],
		   "not onto a target's name (another shape there)");
		ok(!strcmp((char *)out[3].p, "other") && !moved[3], "the rest keep theirs");
		is_int(n, 2, "two names change");
		for (int i = 0; i < 4; i++)
			buf_release(&out[i]);
		match_release(&r);
		free(ti);
		free(si);
	}
	ok(match_stem_len((const uint8_t *)"a/.ATTRIBUTES/VARIABLE_VALUE", 28) == 1, "the stem of a TF2 key");
	ok(!strcmp(match_how_name(MATCH_REWRITE), "rewrite"), "rule names");
	return tap_done();
}
