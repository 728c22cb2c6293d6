/* ckpt graph: what a .meta or SavedModel graph expects, and whether a checkpoint has it. */
#include <stdlib.h>
#include <string.h>

#include "format/bundle.h"
#include "format/dtype.h"
#include "format/graph.h"
#include "format/objgraph.h"
#include "format/path.h"
#include "format/table.h"
#include "edit/match.h"
#include "edit/matchset.h"
#include "edit/surgery.h"
#include "edit/totals.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

static const char usage[] =
"usage: ckpt graph [--nodes] [--saver NAME] [--json] FILE\n"
"       ckpt graph --check CKPT [--saver NAME] [--json] [FILE]\n"
"\n"
"Show what a TensorFlow graph expects, without TensorFlow: the TF version and tags that\n"
"wrote it; its inputs (placeholders, as the tensor names to feed: x:0); its variables with\n"
"dtype, shape and whether they are trainable; its signatures (SavedModel); the saver\n"
"settings; its collections; and how often each op occurs.\n"
"\n"
"FILE is a .meta file (TF1 MetaGraphDef), a saved_model.pb, a SavedModel folder, or a\n"
"checkpoint (prefix, folder or state file) whose .meta sits beside it.\n"
"\n"
"Options:\n"
"  -c, --check CKPT  compare CKPT with the tensors the graph's restore op reads: keys it\n"
"                    lacks (TensorFlow's \"Key ... not found in checkpoint\"), each with\n"
"                    the tensor 'ckpt match' would rename to it (or its candidates), and\n"
"                    the 'ckpt match' command that writes those renames; tensors\n"
"                    with another dtype or shape; tensors nobody restores;\n"
"                    data shards missing or shorter than the index needs (by size: the\n"
"                    data is not read; ckpt verify checks it). FILE defaults to the graph\n"
"                    beside CKPT.\n"
"  -n, --nodes       list every node (name, op, inputs) instead of the summary\n"
"  -s, --saver NAME  the restore ops to use when a graph has several: a Saver's scope\n"
"                    (save, save_1) or checkpoint_initializer (tf.train.init_from_checkpoint).\n"
"                    By default, the saver its saver_def names.\n"
"  -j, --json        print JSON\n"
"  -h, --help        show this help\n"
"\n"
"Exit status: 0 success (--check: names, dtypes and shapes match and the data shards are\n"
"there), 1 (--check) a restore would fail (a key missing or different, a data shard\n"
"missing or short), 2 trouble (unreadable or corrupt file).\n";

static char *shape_text(struct graph_shape s)
{
	struct buf b = BUF_INIT;
	graph_shape_format(&b, s);
	return buf_detach(&b, NULL);
}

static char *entry_shape_text(const struct bundle_entry *e)
{
	struct buf b = BUF_INIT;
	shape_format(&b, e->dims, e->rank);
	return buf_detach(&b, NULL);
}

static char *key_text(const void *p, size_t n)
{
	struct buf b = BUF_INIT;
	name_escaped(&b, p, n);
	return buf_detach(&b, NULL);
}

static const char *dtype_or_unknown(int dtype)
{
	return dtype > 0 ? dtype_name(dtype) : "?";
}

static cJSON *json_graph_shape(struct graph_shape s)
{
	cJSON *a;

	if (s.rank < 0)
		return cJSON_CreateNull();
	a = cJSON_CreateArray();
	for (int i = 0; i < s.rank; i++)
		cJSON_AddItemToArray(a, s.dims[i] < 0 ? cJSON_CreateNull()
						      : cJSON_CreateNumber((double)s.dims[i]));
	return a;
}

static const char *saver_name(const struct graph_saver *s)
{
	return *s->name ? s->name : "(top level)";
}

static size_t nselected(const struct graph_meta *m)
{
	size_t n = 0;
	for (size_t k = 0; k < m->nsavers; k++)
		n += m->savers[k].selected;
	return n;
}

/* Where the keys checked come from: "read by its restore op", ... */
static void restore_source(struct buf *b, const struct graph_meta *m)
{
	const struct graph_saver *sel = NULL;

	for (size_t k = 0; k < m->nsavers && !sel; k++)
		if (m->savers[k].selected)
			sel = &m->savers[k];
	switch (m->restore_from) {
	case GR_SAVER_DEF:
	case GR_ONLY_SAVER:
		if (nselected(m) == m->nsavers)
			buf_addf(b, "read by its restore op");
		else
			buf_addf(b, "read by saver %s, the one its saver_def names", saver_name(sel));
		break;
	case GR_ALL_SAVERS:
		buf_addf(b, "read by all its %zu savers: no saver_def says which; --saver NAME picks one",
			 nselected(m));
		break;
	case GR_CHOSEN:
		if (sel && sel->initializer)
			buf_addf(b, "read by the %s ops, chosen by --saver", saver_name(sel));
		else
			buf_addf(b, "read by saver %s, chosen by --saver", sel ? saver_name(sel) : "?");
		break;
	case GR_FUNCTIONS:
		buf_addf(b, "read by the restore ops of its functions");
		break;
	case GR_VARIABLES:
		buf_addf(b, "by variable name: no restore op");
		break;
	}
}

/* The restore ops not checked: "save (2 keys), checkpoint_initializer (2 keys, ...)". */
static int other_savers(struct buf *b, const struct graph_meta *m)
{
	size_t n = 0;

	for (size_t k = 0; k < m->nsavers; k++) {
		const struct graph_saver *s = &m->savers[k];
		if (s->selected)
			continue;
		buf_addf(b, "%s%s (%zu %s%s)", n++ ? ", " : "", saver_name(s), s->nkeys,
			 s->nkeys == 1 ? "key" : "keys",
			 s->initializer ? " of another checkpoint: tf.train.init_from_checkpoint" : "");
	}
	return n > 0;
}

static uint64_t parameters(struct graph_shape s)
{
	uint64_t n = 1;
	if (s.rank < 0)
		return 0;
	for (int i = 0; i < s.rank; i++) {
		if (s.dims[i] < 0)
			return 0;
		n *= (uint64_t)s.dims[i];
	}
	return n;
}

static const char *saver_version_name(int v)
{
	return v == 2 ? "V2" : v == 1 ? "V1" : "LEGACY (V1)";
}

/* ---- the summary ---- */

static void print_version(const struct graph_meta *m)
{
	if (m->tf_version && *m->tf_version) {
		printf("TensorFlow %s", m->tf_version);
		if (m->tf_git_version && *m->tf_git_version)
			printf(" (%s)", m->tf_git_version);
	} else {
		fputs("TensorFlow version not recorded (written before TF 1.0)", stdout);
	}
	if (m->producer >= 0)
		printf(", graph producer %d", m->producer);
	putchar('\n');
	if (m->ntags) {
		fputs("tags:", stdout);
		for (size_t i = 0; i < m->ntags; i++)
			printf("%s%s", i ? ", " : " ", m->tags[i]);
		putchar('\n');
	}
}

/* The placeholders a caller feeds. */
static void summary_inputs(const struct graph_meta *m)
{
	struct tab t;

	printf("\ninputs (%zu", m->ninputs);
	if (m->nresource_inputs)
		printf("; %zu resource %s not listed", m->nresource_inputs,
		       m->nresource_inputs == 1 ? "handle" : "handles");
	fputs("):\n", stdout);
	if (m->ninputs) {
		tab_init(&t, "llll");
		tab_add(&t, "  TENSOR");
		tab_add(&t, "DTYPE");
		tab_add(&t, "SHAPE");
		tab_add(&t, "");
		for (size_t i = 0; i < m->ninputs; i++) {
			const struct graph_input *in = &m->inputs[i];
			char *sh = shape_text(in->shape);
			tab_addf(&t, "  %s", in->tensor);
			tab_add(&t, dtype_or_unknown(in->dtype));
			tab_add(&t, sh);
			tab_add(&t, strcmp(in->op, "Placeholder") ? "(has a default)" : "");
			free(sh);
		}
		tab_print(&t, stdout);
		tab_release(&t);
	}
}

/* The variables, with their parameter count as every command counts it. */
static void summary_vars(const struct graph_meta *m)
{
	struct tab t;
	char s1[32];
	struct totals tot = { 0 };
	size_t ntrain = 0;

	for (size_t i = 0; i < m->nvars; i++) {
		totals_add_named(&tot, m->vars[i].name, m->vars[i].dtype,
				 parameters(m->vars[i].shape), 0);
		ntrain += m->vars[i].trainable == 1;
	}
	printf("\nvariables (%zu", m->nvars);
	if (m->nvars && m->vars[0].trainable >= 0)
		printf(", %zu trainable", ntrain);
	/* Parameters as every command counts them (totals.h): optimizer slots apart. */
	printf(", %s parameters", fmt_count(s1, tot.params));
	if (tot.opt_params)
		printf(", %s more in optimizer state", fmt_count(s1, tot.opt_params));
	fputs("):\n", stdout);
	if (m->nvars) {
		tab_init(&t, "lllll");
		tab_add(&t, "  NAME");
		tab_add(&t, "DTYPE");
		tab_add(&t, "SHAPE");
		tab_add(&t, "TRAINABLE");
		tab_add(&t, "");
		for (size_t i = 0; i < m->nvars; i++) {
			const struct graph_var *v = &m->vars[i];
			char *sh = shape_text(v->shape);
			tab_addf(&t, "  %s", v->name);
			tab_add(&t, dtype_or_unknown(v->dtype));
			tab_add(&t, sh);
			tab_add(&t, v->trainable < 0 ? "?" : v->trainable ? "yes" : "no");
			if (v->full_name) {
				char *k = key_text(v->full_name, v->full_name_len);
				struct graph_shape fs = { v->full_rank, v->full_dims };
				char *fsh = shape_text(fs);
				tab_addf(&t, "(part of %s %s)", k, fsh);
				free(k);
				free(fsh);
			} else {
				tab_add(&t, strcmp(v->op, "VariableV2") ? v->op : "");
			}
			free(sh);
		}
		tab_print(&t, stdout);
		tab_release(&t);
	}
}

/* The signatures, each with its inputs and outputs. */
static void summary_signatures(const struct graph_meta *m)
{
	struct tab t;

	if (m->nsigs) {
		printf("\nsignatures (%zu):\n", m->nsigs);
		for (size_t i = 0; i < m->nsigs; i++) {
			const struct graph_signature *s = &m->sigs[i];
			printf("  %s%s%s%s\n", s->key, *s->method ? " (" : "", s->method,
			       *s->method ? ")" : "");
			if (!s->ninputs && !s->noutputs)
				continue;
			tab_init(&t, "lllll");
			for (int side = 0; side < 2; side++) {
				const struct graph_tensor_info *ti = side ? s->outputs : s->inputs;
				size_t n = side ? s->noutputs : s->ninputs;
				for (size_t k = 0; k < n; k++) {
					char *sh = shape_text(ti[k].shape);
					tab_add(&t, side ? "    out" : "    in");
					tab_add(&t, ti[k].key);
					tab_add(&t, ti[k].tensor);
					tab_add(&t, dtype_or_unknown(ti[k].dtype));
					tab_add(&t, sh);
					free(sh);
				}
			}
			tab_print(&t, stdout);
			tab_release(&t);
		}
	}
}

/* The saver, and what its restore op reads. */
static void summary_saver(const struct graph_meta *m)
{
	if (m->has_saver) {
		printf("\nsaver: %s format, restore op %s, filename tensor %s", 
		       saver_version_name(m->saver_version), m->saver_restore, m->saver_filename);
		if (m->saver_max_to_keep)
			printf(", keeps %d", m->saver_max_to_keep);
		if (m->saver_sharded)
			fputs(", sharded", stdout);
		if (m->saver_keep_hours > 0 && m->saver_keep_hours < 1e6)
			printf(", one every %g h kept", m->saver_keep_hours);
		putchar('\n');
	}
	if (m->nrestores) {
		struct buf src = BUF_INIT;
		size_t nkeys = 0;
		for (size_t i = 0; i < m->nrestores; i++) {
			size_t k;
			for (k = 0; k < i; k++)
				if (m->restores[k].key_len == m->restores[i].key_len &&
				    !memcmp(m->restores[k].key, m->restores[i].key, m->restores[i].key_len))
					break;
			nkeys += k == i;
		}
		restore_source(&src, m);
		printf("restores %zu checkpoint %s (%s)\n", nkeys, nkeys == 1 ? "key" : "keys",
		       (char *)src.p);
		buf_reset(&src);
		if (other_savers(&src, m))
			printf("other restore ops (graph --check --saver NAME checks one): %s\n",
			       (char *)src.p);
		buf_release(&src);
	}
}

static void summary_collections(const struct graph_meta *m)
{
	struct tab t;

	printf("\ncollections (%zu):\n", m->ncollections);
	if (m->ncollections) {
		tab_init(&t, "llr");
		for (size_t i = 0; i < m->ncollections; i++) {
			tab_addf(&t, "  %s", m->collections[i].name);
			tab_add(&t, m->collections[i].kind);
			tab_addf(&t, "%zu", m->collections[i].size);
		}
		tab_print(&t, stdout);
		tab_release(&t);
	}
}

/* The op histogram. */
static void summary_ops(const struct graph_meta *m)
{
	struct tab t;

	printf("\nops (%zu nodes, %zu op types", m->nnodes, m->nops);
	if (m->nfunctions)
		printf("; %zu functions with %zu nodes more", m->nfunctions, m->nfunction_nodes);
	printf("):\n");
	if (m->nops) {
		tab_init(&t, "lr");
		tab_add(&t, "  OP");
		tab_add(&t, "NODES");
		for (size_t i = 0; i < m->nops; i++) {
			tab_addf(&t, "  %s", m->ops[i].op);
			tab_addf(&t, "%zu", m->ops[i].count);
		}
		tab_print(&t, stdout);
		tab_release(&t);
	}
}

static void print_summary(const struct graph_meta *m)
{
	print_version(m);
	summary_inputs(m);
	summary_vars(m);
	summary_signatures(m);
	summary_saver(m);
	summary_collections(m);
	summary_ops(m);
}

static void print_nodes(const struct graph_meta *m)
{
	struct tab t;
	struct buf in = BUF_INIT;

	tab_init(&t, "lll");
	tab_add(&t, "NAME");
	tab_add(&t, "OP");
	tab_add(&t, "INPUTS");
	for (size_t i = 0; i < m->nnodes; i++) {
		const struct graph_node *n = &m->nodes[i];
		buf_reset(&in);
		for (size_t k = 0; k < n->ninputs; k++)
			buf_addf(&in, "%s%s", k ? ", " : "", n->inputs[k]);
		tab_add(&t, n->name);
		tab_add(&t, n->op);
		tab_add(&t, in.len ? (const char *)in.p : "");
	}
	tab_print(&t, stdout);
	tab_release(&t);
	buf_release(&in);
}

static void json_meta_vars(cJSON *o, const struct graph_meta *m)
{
	cJSON *a, *x;

	a = cJSON_AddArrayToObject(o, "variables");
	for (size_t i = 0; i < m->nvars; i++) {
		const struct graph_var *v = &m->vars[i];
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", v->name);
		cJSON_AddStringToObject(x, "op", v->op);
		cJSON_AddStringToObject(x, "dtype", dtype_or_unknown(v->dtype));
		cJSON_AddItemToObject(x, "shape", json_graph_shape(v->shape));
		if (v->trainable < 0)
			cJSON_AddNullToObject(x, "trainable");
		else
			cJSON_AddBoolToObject(x, "trainable", v->trainable);
		if (v->full_name) {
			struct graph_shape fs = { v->full_rank, v->full_dims };
			json_add_name(x, "partition_of", v->full_name, v->full_name_len);
			cJSON_AddItemToObject(x, "full_shape", json_graph_shape(fs));
		}
		cJSON_AddItemToArray(a, x);
	}
}

static void json_meta_signatures(cJSON *o, const struct graph_meta *m)
{
	cJSON *x;

	x = cJSON_AddObjectToObject(o, "signatures");
	for (size_t i = 0; i < m->nsigs; i++) {
		const struct graph_signature *s = &m->sigs[i];
		cJSON *so = cJSON_CreateObject();
		cJSON_AddStringToObject(so, "method_name", s->method);
		for (int side = 0; side < 2; side++) {
			const struct graph_tensor_info *ti = side ? s->outputs : s->inputs;
			size_t n = side ? s->noutputs : s->ninputs;
			cJSON *map = cJSON_AddObjectToObject(so, side ? "outputs" : "inputs");
			for (size_t k = 0; k < n; k++) {
				cJSON *t = cJSON_CreateObject();
				cJSON_AddStringToObject(t, "tensor", ti[k].tensor);
				cJSON_AddStringToObject(t, "dtype", dtype_or_unknown(ti[k].dtype));
				cJSON_AddItemToObject(t, "shape", json_graph_shape(ti[k].shape));
				cJSON_AddItemToObject(map, ti[k].key, t);
			}
		}
		cJSON_AddItemToObject(x, s->key, so);
	}
}

static cJSON *json_meta(const struct graph_meta *m, int nodes)
{
	cJSON *o = cJSON_CreateObject(), *a, *x;

	if (m->tf_version && *m->tf_version)
		cJSON_AddStringToObject(o, "tensorflow_version", m->tf_version);
	else
		cJSON_AddNullToObject(o, "tensorflow_version");
	if (m->tf_git_version && *m->tf_git_version)
		cJSON_AddStringToObject(o, "tensorflow_git_version", m->tf_git_version);
	if (m->producer >= 0)
		json_add_i64(o, "graph_producer", m->producer);
	a = cJSON_AddArrayToObject(o, "tags");
	for (size_t i = 0; i < m->ntags; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(m->tags[i]));
	a = cJSON_AddArrayToObject(o, "inputs");
	for (size_t i = 0; i < m->ninputs; i++) {
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "tensor", m->inputs[i].tensor);
		cJSON_AddStringToObject(x, "op", m->inputs[i].op);
		cJSON_AddStringToObject(x, "dtype", dtype_or_unknown(m->inputs[i].dtype));
		cJSON_AddItemToObject(x, "shape", json_graph_shape(m->inputs[i].shape));
		cJSON_AddItemToArray(a, x);
	}
	json_add_u64(o, "resource_inputs", m->nresource_inputs);
	json_meta_vars(o, m);
	json_meta_signatures(o, m);
	if (m->has_saver) {
		x = cJSON_AddObjectToObject(o, "saver");
		cJSON_AddStringToObject(x, "version", saver_version_name(m->saver_version));
		cJSON_AddStringToObject(x, "filename_tensor", m->saver_filename);
		cJSON_AddStringToObject(x, "save_tensor", m->saver_save);
		cJSON_AddStringToObject(x, "restore_op", m->saver_restore);
		json_add_i64(x, "max_to_keep", m->saver_max_to_keep);
		cJSON_AddBoolToObject(x, "sharded", m->saver_sharded);
		json_add_double(x, "keep_checkpoint_every_n_hours", m->saver_keep_hours);
	} else {
		cJSON_AddNullToObject(o, "saver");
	}
	a = cJSON_AddArrayToObject(o, "savers");
	for (size_t i = 0; i < m->nsavers; i++) {
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", m->savers[i].name);
		json_add_u64(x, "keys", m->savers[i].nkeys);
		cJSON_AddBoolToObject(x, "initializer", m->savers[i].initializer);
		cJSON_AddBoolToObject(x, "restores", m->savers[i].selected);
		cJSON_AddItemToArray(a, x);
	}
	a = cJSON_AddArrayToObject(o, "restores");
	for (size_t i = 0; i < m->nrestores; i++) {
		const struct graph_restore *r = &m->restores[i];
		x = cJSON_CreateObject();
		json_add_name(x, "key", r->key, r->key_len);
		cJSON_AddStringToObject(x, "dtype", dtype_or_unknown(r->dtype));
		cJSON_AddItemToObject(x, "shape", json_graph_shape(r->shape));
		cJSON_AddStringToObject(x, "shape_and_slice", r->spec);
		cJSON_AddStringToObject(x, "op", r->op);
		cJSON_AddItemToArray(a, x);
	}
	x = cJSON_AddObjectToObject(o, "collections");
	for (size_t i = 0; i < m->ncollections; i++) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "kind", m->collections[i].kind);
		json_add_u64(c, "size", m->collections[i].size);
		cJSON_AddItemToObject(x, m->collections[i].name, c);
	}
	json_add_u64(o, "nodes_total", m->nnodes);
	json_add_u64(o, "functions", m->nfunctions);
	x = cJSON_AddObjectToObject(o, "ops");
	for (size_t i = 0; i < m->nops; i++)
		json_add_u64(x, m->ops[i].op, m->ops[i].count);
	if (nodes) {
		a = cJSON_AddArrayToObject(o, "nodes");
		for (size_t i = 0; i < m->nnodes; i++) {
			const struct graph_node *n = &m->nodes[i];
			cJSON *in = cJSON_CreateArray();
			x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "name", n->name);
			cJSON_AddStringToObject(x, "op", n->op);
			if (*n->device)
				cJSON_AddStringToObject(x, "device", n->device);
			for (size_t k = 0; k < n->ninputs; k++)
				cJSON_AddItemToArray(in, cJSON_CreateString(n->inputs[k]));
			cJSON_AddItemToObject(x, "inputs", in);
			cJSON_AddItemToArray(a, x);
		}
	}
	return o;
}

static int show(const struct graph_file *g, int nodes, int json)
{
	if (json) {
		cJSON *root = cJSON_CreateObject(), *a;
		cJSON_AddStringToObject(root, "path", g->path);
		cJSON_AddStringToObject(root, "kind", g->saved_model ? "saved_model" : "meta_graph");
		if (g->saved_model)
			json_add_i64(root, "saved_model_schema_version", g->schema_version);
		a = cJSON_AddArrayToObject(root, "meta_graphs");
		for (size_t i = 0; i < g->nmetas; i++)
			cJSON_AddItemToArray(a, json_meta(&g->metas[i], nodes));
		json_print(root, stdout);
		cJSON_Delete(root);
		return EXIT_OK;
	}
	for (size_t i = 0; i < g->nmetas; i++) {
		if (i)
			putchar('\n');
		if (g->nmetas > 1)
			printf("== meta graph %zu of %zu ==\n", i + 1, g->nmetas);
		if (nodes)
			print_nodes(&g->metas[i]);
		else
			print_summary(&g->metas[i]);
	}
	return EXIT_OK;
}

/* ---- --check ---- */

static const char *const problem_title[] = {
	"missing from the checkpoint (TensorFlow: \"Key ... not found in checkpoint\")",
	"another dtype in the checkpoint",
	"another shape in the checkpoint",
	"in the checkpoint but not restored by the graph",
};
static const char *const problem_json[] = { "missing", "dtype_mismatch", "shape_mismatch", "unused" };

/* The matcher's view (match.h) of the graph's keys and the checkpoint's tensors: for a key
 * the checkpoint lacks, the tensor a rename would restore it from, or the candidates. */
struct fix {
	struct surg_input in;       /* the checkpoint (its bundle borrowed), with its object graph */
	struct matchset ck, gr;
	struct match_result r;
	struct fix_key { const uint8_t *name; size_t len, idx; } *keys;  /* gr's, by name */
	size_t nmissing, nfixed;    /* missing keys; those the matcher pairs */
};

static int cmp_fix_key(const void *a, const void *b)
{
	const struct fix_key *x = a, *y = b;
	return key_cmp(x->name, x->len, y->name, y->len);
}

/* The match of the key a GP_MISSING problem names. */
static const struct match_target *fix_target(const struct fix *f, const struct graph_problem *p)
{
	struct fix_key probe = { p->want->key, p->want->key_len, 0 };
	const struct fix_key *k = bsearch(&probe, f->keys, f->gr.n, sizeof(*f->keys), cmp_fix_key);
	return k ? &f->r.t[k->idx] : NULL;
}

static void fix_run(struct fix *f, const struct graph_meta *m, struct bundle *b,
		    const struct graph_check *c)
{
	struct ck_err err = { 0 };

	memset(f, 0, sizeof(*f));
	f->in.b = b;
	/* Full names (TF2) help the match; a checkpoint whose object graph does not parse is
	 * still checked, by its keys alone. */
	if (bundle_find(b, OBJECT_GRAPH_KEY, sizeof(OBJECT_GRAPH_KEY) - 1) &&
	    objgraph_load(b, &f->in.graph, &err) < 0) {
		objgraph_free(f->in.graph);
		f->in.graph = NULL;
	}
	matchset_from_input(&f->ck, &f->in);
	matchset_from_graph(&f->gr, m);
	match_run(f->gr.items, f->gr.n, f->ck.items, f->ck.n, &f->r);
	f->keys = xcalloc(f->gr.n + 1, sizeof(*f->keys));
	for (size_t i = 0; i < f->gr.n; i++)
		f->keys[i] = (struct fix_key){ f->gr.items[i].name, f->gr.items[i].len, i };
	sort_array(f->keys, f->gr.n, sizeof(*f->keys), cmp_fix_key);
	for (size_t i = 0; i < c->nproblems; i++)
		if (c->problems[i].kind == GP_MISSING) {
			const struct match_target *t = fix_target(f, &c->problems[i]);
			f->nmissing++;
			f->nfixed += t && t->src != MATCH_NONE;
		}
}

static void fix_release(struct fix *f)
{
	match_release(&f->r);
	matchset_release(&f->ck);
	matchset_release(&f->gr);
	objgraph_free(f->in.graph);
	free(f->keys);
}

/* A word the shell reads back as is: quoted when it holds anything but safe characters. */
static void shell_word(struct buf *out, const char *s)
{
	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			    "_-./:=+,@%") == strlen(s)) {
		buf_addf(out, "%s", s);
		return;
	}
	buf_addc(out, '\'');
	for (; *s; s++)
		if (*s == '\'')
			buf_addf(out, "'\\''");
		else
			buf_addc(out, *s);
	buf_addc(out, '\'');
}

/* "ckpt match --apply -o FIXED CKPT GRAPH" (caller frees), or NULL when no rename helps. */
static char *fix_command(const struct fix *f, const char *ckpt, const struct graph_file *g)
{
	struct buf cmd = BUF_INIT;

	if (!f->nfixed)
		return NULL;
	buf_addf(&cmd, "ckpt match --apply -o FIXED ");
	shell_word(&cmd, ckpt);
	buf_addc(&cmd, ' ');
	shell_word(&cmd, g->path);
	return buf_detach(&cmd, NULL);
}

/* "from model/dense/bias (rewrite)", "candidates a, b", or nothing. */
static void fix_hint(struct buf *s, const struct fix *f, const struct graph_problem *p)
{
	const struct match_target *m = fix_target(f, p);
	char *n;

	if (!m)
		return;
	if (m->src != MATCH_NONE) {
		n = key_text(f->ck.items[m->src].name, f->ck.items[m->src].len);
		buf_addf(s, "from %s (%s)", n, match_how_name(m->how));
		free(n);
		return;
	}
	for (size_t k = 0; k < m->ncand && k < MATCH_MAX_CAND; k++) {
		n = key_text(f->ck.items[m->cand[k]].name, f->ck.items[m->cand[k]].len);
		buf_addf(s, "%s%s", k ? ", " : "candidates ", n);
		free(n);
	}
	if (m->ncand > MATCH_MAX_CAND)
		buf_addf(s, " (%zu in all)", m->ncand);
}

static void json_add_name_item(cJSON *a, const struct match_item *it)
{
	char *n = key_text(it->name, it->len);
	cJSON_AddItemToArray(a, cJSON_CreateString(n));
	free(n);
}

static void problem_text(struct tab *t, const struct graph_problem *p, const struct fix *f)
{
	char *name = p->want ? key_text(p->want->key, p->want->key_len)
			     : key_text(p->have->name, p->have->name_len);
	char *gs = p->want ? shape_text(p->want->shape) : NULL;
	char *cs = p->have ? entry_shape_text(p->have) : NULL;

	tab_addf(t, "  %s", name);
	switch (p->kind) {
	case GP_MISSING: {
		struct buf s = BUF_INIT;
		tab_add(t, dtype_or_unknown(p->want->dtype));
		tab_add(t, gs);
		fix_hint(&s, f, p);
		tab_add(t, s.len ? (char *)s.p : "");
		buf_release(&s);
		break;
	}
	case GP_DTYPE:
		tab_addf(t, "graph %s", dtype_name(p->want->dtype));
		tab_addf(t, "checkpoint %s", dtype_name(p->have->dtype));
		tab_add(t, "");
		break;
	case GP_SHAPE:
		tab_addf(t, "graph %s", gs);
		tab_addf(t, "checkpoint %s", cs);
		tab_add(t, "");
		break;
	case GP_UNUSED:
		tab_add(t, dtype_name(p->have->dtype));
		tab_add(t, cs);
		tab_add(t, "");
		break;
	}
	free(name);
	free(gs);
	free(cs);
}

static cJSON *problem_json_item(const struct graph_problem *p, const struct fix *f)
{
	cJSON *o = cJSON_CreateObject();

	if (p->want) {
		json_add_name(o, "name", p->want->key, p->want->key_len);
		cJSON_AddStringToObject(o, "graph_dtype", dtype_or_unknown(p->want->dtype));
		cJSON_AddItemToObject(o, "graph_shape", json_graph_shape(p->want->shape));
	} else {
		json_add_name(o, "name", p->have->name, p->have->name_len);
	}
	if (p->have) {
		cJSON_AddStringToObject(o, "checkpoint_dtype", dtype_name(p->have->dtype));
		cJSON_AddItemToObject(o, "checkpoint_shape", json_shape(p->have->dims, p->have->rank));
	}
	if (p->kind == GP_MISSING) {
		const struct match_target *m = fix_target(f, p);
		cJSON *s = cJSON_AddArrayToObject(o, "suggestions");
		if (m && m->src != MATCH_NONE) {
			json_add_name_item(s, &f->ck.items[m->src]);
			cJSON_AddStringToObject(o, "match", match_how_name(m->how));
		} else {
			for (size_t k = 0; m && k < m->ncand && k < MATCH_MAX_CAND; k++)
				json_add_name_item(s, &f->ck.items[m->cand[k]]);
			cJSON_AddNullToObject(o, "match");
		}
	}
	return o;
}

static cJSON *json_shards(const struct bundle *b, const struct graph_check *c)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < c->nshard_problems; i++) {
		const struct graph_shard_problem *p = &c->shards[i];
		cJSON *o = cJSON_CreateObject();
		char *file = bundle_shard_path(b, p->shard);
		cJSON_AddStringToObject(o, "file", file);
		json_add_i64(o, "shard", p->shard);
		cJSON_AddStringToObject(o, "problem", p->missing ? "missing" : "short");
		if (p->missing)
			cJSON_AddNullToObject(o, "size");
		else
			json_add_u64(o, "size", p->size);
		json_add_u64(o, "needed_size", p->needed);
		json_add_u64(o, "tensors", p->ntensors);
		json_add_u64(o, "restored_tensors", p->nrestored);
		cJSON_AddItemToArray(a, o);
		free(file);
	}
	return a;
}

static void print_shards(const struct bundle *b, const struct graph_check *c)
{
	struct tab t;
	char s1[32], s2[32];

	printf("\ndata shards missing or short (%zu of %d):\n", c->nshard_problems, c->nshards);
	tab_init(&t, "lll");
	for (size_t i = 0; i < c->nshard_problems; i++) {
		const struct graph_shard_problem *p = &c->shards[i];
		char *file = bundle_shard_path(b, p->shard);
		tab_addf(&t, "  %s", file);
		if (p->missing)
			tab_add(&t, "missing");
		else
			tab_addf(&t, "%s bytes, the index needs %s", fmt_count(s1, p->size),
				 fmt_count(s2, p->needed));
		if (p->nrestored)
			tab_addf(&t, "%zu of its %zu tensors are restored", p->nrestored, p->ntensors);
		else
			tab_addf(&t, "none of its %zu tensors is restored", p->ntensors);
		free(file);
	}
	tab_print(&t, stdout);
	tab_release(&t);
}

/* "data shard 1 of 1 missing (model.ckpt.data-00000-of-00001)", the first failing one. */
static void print_shard_failure(const struct bundle *b, const struct graph_check *c)
{
	const struct graph_shard_problem *p = c->shards;
	char *file;
	const char *base;

	while (!p->nrestored)
		p++;
	file = bundle_shard_path(b, p->shard);
	base = strrchr(file, '/');
	if (c->nshard_failing == 1)
		printf("data shard %d of %d %s (%s)", p->shard + 1, c->nshards,
		       p->missing ? "missing" : "too short", base ? base + 1 : file);
	else
		printf("%zu data shards missing or too short (the first: %s)", c->nshard_failing,
		       base ? base + 1 : file);
	free(file);
}

/* The last lines: what was checked, what was not (the payloads), and the verdict. */
static void print_verdict(const struct bundle *b, const struct graph_check *c, const size_t count[4])
{
	const char *sep = " ";

	if (c->nfailing) {
		printf("a restore would fail:");
		if (count[GP_MISSING])
			printf("%s%zu missing", sep, count[GP_MISSING]), sep = ", ";
		if (count[GP_DTYPE])
			printf("%s%zu with another dtype", sep, count[GP_DTYPE]), sep = ", ";
		if (count[GP_SHAPE])
			printf("%s%zu with another shape", sep, count[GP_SHAPE]), sep = ", ";
		printf(" (%zu of %zu keys match)", c->nrestored, c->nrestored + c->nfailing);
		if (c->nshard_failing) {
			fputs("; ", stdout);
			print_shard_failure(b, c);
		}
		putchar('\n');
		return;
	}
	if (c->nshard_failing) {
		fputs("a restore would fail: ", stdout);
		print_shard_failure(b, c);
		printf("; names, dtypes and shapes of all %zu keys match\n", c->nrestored);
		return;
	}
	printf("names, dtypes and shapes match: the checkpoint holds all %zu keys the graph "
	       "restores\n", c->nrestored);
	if (!c->nshards)
		printf("data not read: it is in the checkpoint's table files (run ckpt verify to "
		       "check it)\n");
	else if (c->nshard_problems)
		printf("data not read: the shards holding the restored tensors are there and long "
		       "enough (run ckpt verify to check the data)\n");
	else
		printf("data not read: %s %d data %s %s there and long enough (run ckpt verify to "
		       "check the data)\n", c->nshards == 1 ? "the" : "all", c->nshards,
		       c->nshards == 1 ? "shard" : "shards", c->nshards == 1 ? "is" : "are");
}

/* graph:, checkpoint: and the restore ops not checked. */
static void print_check_header(const struct graph_file *g, const struct bundle *b,
			       const struct graph_meta *m)
{
	struct buf src = BUF_INIT;

	if (m->restore_from == GR_VARIABLES)
		buf_addf(&src, "no restore op: keys are the variable names");
	else
		restore_source(&src, m);
	printf("graph:      %s (%s%s)\n", g->path, m->restore_from == GR_VARIABLES ? "" : "keys ",
	       (char *)src.p);
	printf("checkpoint: %s\n", b->prefix);
	buf_reset(&src);
	if (other_savers(&src, m))
		printf("not checked: %s\n", (char *)src.p);
	buf_release(&src);
}

/* The command that writes the renames the matcher found, when some supply missing keys.
 * With --saver, the keys are another saver's than the one 'ckpt match' reads: left out. */
static void print_fix(const struct fix *f, const char *cmd)
{
	if (!cmd)
		return;
	printf("renames supply %zu of the %zu missing keys; to write them to a new checkpoint "
	       "FIXED:\n  %s\n", f->nfixed, f->nmissing, cmd);
}

static int check(const struct graph_file *g, struct bundle *b, const char *ckpt, int saver,
		 int json)
{
	const struct graph_meta *m = &g->metas[0];
	struct graph_check c;
	struct fix f;
	size_t count[4] = { 0 };
	char *cmd;
	int status;

	graph_check_run(m, b, &c);
	fix_run(&f, m, b, &c);
	cmd = saver ? NULL : fix_command(&f, ckpt, g);
	for (size_t i = 0; i < c.nproblems; i++)
		count[c.problems[i].kind]++;
	status = c.nfailing || c.nshard_failing ? EXIT_DIFF : EXIT_OK;
	if (json) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "graph", g->path);
		cJSON_AddStringToObject(root, "checkpoint", b->prefix);
		cJSON_AddStringToObject(root, "restore_list", m->from_restore_op ? "restore_op" : "variables");
		{
			cJSON *sv = cJSON_AddArrayToObject(root, "savers");
			for (size_t k = 0; k < m->nsavers; k++)
				if (m->savers[k].selected)
					cJSON_AddItemToArray(sv, cJSON_CreateString(m->savers[k].name));
		}
		cJSON_AddBoolToObject(root, "ok", status == EXIT_OK);
		json_add_u64(root, "matched", c.nrestored);
		cJSON_AddBoolToObject(root, "data_read", 0);
		json_add_i64(root, "shards_checked", c.nshards);
		cJSON_AddItemToObject(root, "data_missing", json_shards(b, &c));
		if (cmd)
			cJSON_AddStringToObject(root, "fix_command", cmd);
		else
			cJSON_AddNullToObject(root, "fix_command");
		for (int k = 0; k < 4; k++) {
			cJSON *a = cJSON_AddArrayToObject(root, problem_json[k]);
			for (size_t i = 0; i < c.nproblems; i++)
				if ((int)c.problems[i].kind == k)
					cJSON_AddItemToArray(a, problem_json_item(&c.problems[i], &f));
		}
		json_print(root, stdout);
		cJSON_Delete(root);
		goto out;
	}
	print_check_header(g, b, m);
	for (int k = 0; k < 4; k++) {
		struct tab t;
		if (!count[k])
			continue;
		printf("\n%s (%zu):\n", problem_title[k], count[k]);
		tab_init(&t, "llll");
		for (size_t i = 0; i < c.nproblems; i++)
			if ((int)c.problems[i].kind == k)
				problem_text(&t, &c.problems[i], &f);
		tab_print(&t, stdout);
		tab_release(&t);
	}
	if (c.nshard_problems)
		print_shards(b, &c);
	putchar('\n');
	print_verdict(b, &c, count);
	print_fix(&f, cmd);
out:
	free(cmd);
	fix_release(&f);
	graph_check_release(&c);
	return status;
}

static const struct option opts[] = {
	{ "check", required_argument, NULL, 'c' },
	{ "nodes", no_argument, NULL, 'n' },
	{ "saver", required_argument, NULL, 's' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_graph(const struct cmd_entry *self, int argc, char **argv)
{
	struct ckpt_path where = { 0 };
	struct graph_file *g = NULL;
	struct bundle *b = NULL;
	struct ck_err err = { 0 };
	const char *ckpt = NULL, *file, *saver = NULL;
	int c, nodes = 0, json = 0, status = EXIT_TROUBLE;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, self->optstring, self->options, NULL)) != -1) {
		switch (c) {
		case 'c': ckpt = optarg; break;
		case 's': saver = optarg; break;
		case 'n': nodes = 1; break;
		case 'j': json = 1; break;
		case 'h': return cli_help(self);
		default:  /* ':' (a missing value) too */
			return cli_bad_option(self, argv);
		}
	}
	if (ckpt && nodes)
		return cli_usage(self, "--nodes and --check do not go together");
	if (argc - optind > 1 || (!ckpt && argc - optind != 1))
		return cli_usage(self, argc - optind ? "expected one graph file, got %d"
					 : "no graph file given", argc - optind);
	file = argc - optind == 1 ? argv[optind] : ckpt;
	if (ckpt && ckpt_open(&b, ckpt, &where, &err) < 0) {
		cli_notes(&where.notes);
		status = cli_error(&err);
		goto out;
	}
	cli_notes(&where.notes);
	if (graph_open(&g, file, &err) < 0 || (saver && graph_select_saver(g, saver, &err) < 0)) {
		status = cli_error(&err);
		goto out;
	}
	status = ckpt ? check(g, b, ckpt, saver != NULL, json) : show(g, nodes, json);
	status = cli_finish(status);
out:
	graph_free(g);
	bundle_free(b);
	ckpt_path_release(&where);
	return status;
}

const struct cmd_entry cmd_graph_entry = {
	.name = "graph",
	.summary = "what a .meta or SavedModel graph expects; check a checkpoint against it",
	.usage = usage,
	.optstring = ":c:ns:jh",
	.options = opts,
	.exec = cmd_graph,
};
