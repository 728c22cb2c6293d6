/* Fuzz target: the MetaGraphDef / SavedModel decoder (graph.h). Input: first byte selects the
 * file kind (even: x.meta, odd: saved_model.pb), the rest is the file. An opened graph is
 * checked against a small fixed checkpoint, and its shapes formatted. */
#include <assert.h>

#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "format/graph.h"
#include "fuzz.h"

static struct bundle *ckpt;

/* A checkpoint with a scalar, a matrix and a string, for graph_check_run. */
static void make_ckpt(const char *dir)
{
	struct bundle_writer *w;
	struct ck_err err;
	char *prefix = xasprintf("%s/c/model", dir);
	float v[6] = { 0 };
	int64_t d2[2] = { 2, 3 };
	const uint8_t *s[1] = { (const uint8_t *)"x" };
	size_t l[1] = { 1 };

	if (bundle_writer_open(&w, prefix, 1, BW_MKDIR, &err) < 0 ||
	    bundle_writer_add(w, "global_step", 11, DT_INT64, NULL, 0, 0, v, 8) < 0 ||
	    bundle_writer_add(w, "dense/kernel", 12, DT_FLOAT, d2, 2, 0, v, 24) < 0 ||
	    bundle_writer_add_strings(w, "vocab", 5, NULL, 0, 0, s, l, 1) < 0 ||
	    bundle_writer_finish(w, &err) < 0 || bundle_open(&ckpt, prefix, &err) < 0) {
		fprintf(stderr, "fuzz_graph: cannot make its checkpoint: %s\n", err.msg);
		abort();
	}
	free(prefix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *meta, *pb;
	struct graph_file *g;
	struct ck_err err;
	char version[64];
	const char *path;
	int rc;

	if (!meta) {
		const char *dir = fuzz_dir();
		meta = xasprintf("%s/x.meta", dir);
		char *sm = xasprintf("%s/sm", dir);
		mkdir(sm, 0755);
		free(sm);
		pb = xasprintf("%s/sm/saved_model.pb", dir);
		make_ckpt(dir);
	}
	if (!size)
		return 0;
	path = data[0] % 2 ? pb : meta;
	fuzz_write(path, data + 1, size - 1);
	graph_tf_version(path, version, sizeof(version));
	rc = graph_open(&g, path, &err);
	if (rc < 0) {
		assert(rc == err.code && err.msg[0]);
		return 0;
	}
	for (size_t i = 0; i < g->nmetas; i++) {
		const struct graph_meta *m = &g->metas[i];
		struct graph_check c;
		struct buf b = BUF_INIT;

		graph_check_run(m, ckpt, &c);
		assert(c.nfailing <= c.nproblems);
		graph_check_release(&c);
		for (size_t k = 0; k < m->nvars; k++)
			graph_shape_format(&b, m->vars[k].shape);
		for (size_t k = 0; k < m->ninputs; k++)
			graph_shape_format(&b, m->inputs[k].shape);
		for (size_t k = 0; k < m->nrestores; k++)
			graph_shape_format(&b, m->restores[k].shape);
		buf_release(&b);
	}
	graph_free(g);
	return 0;
}
