/* MetaGraphDef analysis (API in graph.h). */
#include "format/graph.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cursor.h"
#include "store/file.h"
#include "format/dtype.h"
#include "format/path.h"
#include "format/slicekey.h"
#include "format/table.h"
#include "meta_graph.pb-c.h"
#include "meta_graph_head.pb-c.h"
#include "saved_model.pb-c.h"
#include "variable.pb-c.h"

#define GRAPH_MAX_BYTES (4ull << 30)  /* protobuf messages are limited to 2 GiB anyway */
#define MAX_DEPTH 100                  /* protobuf's own default recursion limit */

/* Allocations that live as long as the graph_file. */
struct pool_item {
	void *p;
	void (*fn)(void *);
};

struct graph_pb {
	Tensorflow__SavedModel *sm;
	Tensorflow__MetaGraphDef *mg;
	struct pool_item *items;
	size_t nitems;
};

static void *keep(struct graph_file *g, void *p, void (*fn)(void *))
{
	struct graph_pb *pb = g->pb;
	pb->items = xreallocarray(pb->items, pb->nitems + 1, sizeof(*pb->items));
	pb->items[pb->nitems++] = (struct pool_item){ p, fn ? fn : free };
	return p;
}

static void free_vardef(void *p)
{
	tensorflow__variable_def__free_unpacked(p, NULL);
}

void graph_free(struct graph_file *g)
{
	struct graph_pb *pb;

	if (!g)
		return;
	pb = g->pb;
	if (pb) {
		for (size_t i = pb->nitems; i-- > 0;)
			pb->items[i].fn(pb->items[i].p);
		free(pb->items);
		if (pb->sm)
			tensorflow__saved_model__free_unpacked(pb->sm, NULL);
		if (pb->mg)
			tensorflow__meta_graph_def__free_unpacked(pb->mg, NULL);
		free(pb);
	}
	for (size_t i = 0; i < g->nmetas; i++) {
		struct graph_meta *m = &g->metas[i];
		for (size_t k = 0; k < m->ninputs; k++)
			free(m->inputs[k].tensor);
		for (size_t k = 0; k < m->nsigs; k++) {
			free(m->sigs[k].inputs);
			free(m->sigs[k].outputs);
		}
		free(m->nodes);
		free(m->inputs);
		free(m->vars);
		free(m->sigs);
		free(m->collections);
		free(m->ops);
		free(m->restores);
		free(m->all_restores);
		for (size_t k = 0; k < m->nsavers; k++)
			free(m->savers[k].name);
		free(m->savers);
	}
	free(g->metas);
	free(g->path);
	free(g);
}

void graph_shape_format(struct buf *out, struct graph_shape s)
{
	if (s.rank < 0) {
		buf_addc(out, '?');
		return;
	}
	buf_addc(out, '[');
	for (int i = 0; i < s.rank; i++) {
		if (i)
			buf_addc(out, ',');
		if (s.dims[i] < 0)
			buf_addc(out, '?');
		else
			buf_addf(out, "%lld", (long long)s.dims[i]);
	}
	buf_addc(out, ']');
}

/* ---- finding and reading the file ---------------------------------------------------- */

static int file_kind(const char *p)
{
	struct ck_stat st;
	if (ck_store_stat(p, &st, NULL) < 0 || st.kind == CK_STORE_MISSING)
		return 0;
	return st.kind == CK_STORE_FOLDER ? 'd' : st.kind == CK_STORE_FILE ? 'f' : 'o';
}

char *graph_meta_path(const char *prefix)
{
	regex_t re;
	regmatch_t m;
	size_t n = strlen(prefix);

	if (regcomp(&re, "-[0-9?]+-of-[0-9]+$", REG_EXTENDED) == 0) {
		if (regexec(&re, prefix, 1, &m, 0) == 0)
			n = (size_t)m.rm_so;
		regfree(&re);
	}
	return xasprintf("%.*s.meta", (int)n, prefix);
}

/* The graph file that arg names; *sm = 1 for a saved_model.pb. */
static int locate(const char *arg, char **path, int *sm, struct ck_err *err)
{
	struct ckpt_path where;
	struct ck_err rerr = { 0 };
	int kind = file_kind(arg), rc;
	char *meta;

	*path = NULL;
	*sm = 0;
	if (kind == 'd') {
		char *p = xasprintf("%s/saved_model.pb", arg);
		if (file_kind(p) == 'f') {
			*path = p;
			*sm = 1;
			return 0;
		}
		free(p);
		p = xasprintf("%s/saved_model.pbtxt", arg);
		if (file_kind(p) == 'f') {
			rc = ck_error(err, CK_EUNSUP, "%s: a text-format SavedModel; only the binary "
				      "saved_model.pb is read", p);
			free(p);
			return rc;
		}
		free(p);
	} else if (kind == 'f') {
		if (!strcmp(path_base(arg), "saved_model.pb")) {
			*path = xstrdup(arg);
			*sm = 1;
			return 0;
		}
		if (has_suffix(arg, ".meta")) {
			*path = xstrdup(arg);
			return 0;
		}
		if (has_suffix(arg, ".pbtxt"))
			return ck_error(err, CK_EUNSUP, "%s: a text-format protobuf; only binary graphs "
					"are read", arg);
	}
	/* A checkpoint: its .meta beside it. */
	rc = ckpt_resolve(arg, &where, &rerr);
	if (rc < 0) {
		meta = graph_meta_path(arg);
		if (file_kind(meta) == 'f') {
			*path = meta;
			return 0;
		}
		free(meta);
		if (kind == 'f') {
			*path = xstrdup(arg);  /* perhaps a renamed .meta: parsing will tell */
			return 0;
		}
		if (kind == 'd')
			return ck_error(err, CK_ENOTFOUND, "%s: no saved_model.pb, and no checkpoint "
					"with a .meta beside it", arg);
		if (err)
			*err = rerr;
		return rc;
	}
	meta = graph_meta_path(where.prefix);
	if (file_kind(meta) == 'f') {
		*path = meta;
		ckpt_path_release(&where);
		return 0;
	}
	rc = ck_error(err, CK_ENOTFOUND, "%s: no graph beside checkpoint %s (TF2 checkpoints "
		      "have none; a SavedModel keeps it in saved_model.pb)", meta, where.prefix);
	free(meta);
	ckpt_path_release(&where);
	return rc;
}

static int read_file(const char *path, struct buf *out, struct ck_err *err)
{
	struct ck_file *f;
	long long got;
	int rc = ck_file_open(path, &f, err);

	if (rc < 0)
		return rc;
	if (f->size > GRAPH_MAX_BYTES) {
		ck_file_close(f);
		return ck_error(err, CK_EUNSUP, "%s: too large for a graph", path);
	}
	buf_grow(out, (size_t)f->size);
	got = ck_file_pread(f, out->p, (size_t)f->size, 0, err);
	ck_file_close(f);
	if (got < 0)
		return (int)got;
	out->len = (size_t)got;
	return 0;
}

/* protobuf-c recurses once per nested message with no limit: refuse deeper nesting than
 * protobuf itself allows before unpacking, so a hostile file cannot exhaust the stack. */
static int pb_depth_ok(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t n, int depth)
{
	struct cursor c = cursor_make(p, n);

	if (depth > MAX_DEPTH)
		return 0;
	while (c.n) {
		uint64_t tag, v;
		const uint8_t *sub;
		if (cursor_varint64(&c, &tag))
			return 0;
		switch (tag & 7) {
		case 0:
			if (cursor_varint64(&c, &v))
				return 0;
			break;
		case 1:
			if (cursor_skip(&c, 8))
				return 0;
			break;
		case 5:
			if (cursor_skip(&c, 4))
				return 0;
			break;
		case 2: {
			const ProtobufCFieldDescriptor *f;
			if (cursor_varint64(&c, &v) || v > c.n || cursor_bytes(&c, (size_t)v, &sub))
				return 0;
			f = tag >> 3 <= UINT32_MAX
				    ? protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3))
				    : NULL;
			if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
			    !pb_depth_ok(f->descriptor, sub, (size_t)v, depth + 1))
				return 0;
			break;
		}
		default:
			return 0;  /* groups: not used by TensorFlow */
		}
	}
	return 1;
}

/* ---- analysis ----------------------------------------------------------------------- */

static const Tensorflow__AttrValue *attr(const Tensorflow__NodeDef *n, const char *key)
{
	for (size_t i = 0; i < n->n_attr; i++)
		if (n->attr[i]->key && !strcmp(n->attr[i]->key, key))
			return n->attr[i]->value;
	return NULL;
}

static int attr_type(const Tensorflow__NodeDef *n, const char *key)
{
	const Tensorflow__AttrValue *a = attr(n, key);
	if (!a || a->value_case != TENSORFLOW__ATTR_VALUE__VALUE_TYPE)
		return 0;
	return a->type > 100 ? a->type - 100 : a->type;  /* *_REF types */
}

static struct graph_shape shape_of(struct graph_file *g, const Tensorflow__TensorShapeProto *s)
{
	struct graph_shape r = { -1, NULL };
	int64_t *d;

	if (!s || s->unknown_rank)
		return r;
	d = keep(g, xcalloc(s->n_dim + 1, sizeof(int64_t)), NULL);
	for (size_t i = 0; i < s->n_dim; i++)
		d[i] = s->dim[i]->size < 0 ? -1 : s->dim[i]->size;
	r.rank = (int)s->n_dim;
	r.dims = d;
	return r;
}

static struct graph_shape attr_shape(struct graph_file *g, const Tensorflow__NodeDef *n,
				     const char *key)
{
	const Tensorflow__AttrValue *a = attr(n, key);
	struct graph_shape unknown = { -1, NULL };
	if (!a || a->value_case != TENSORFLOW__ATTR_VALUE__VALUE_SHAPE)
		return unknown;
	return shape_of(g, a->shape);
}

static int is_variable_op(const char *op)
{
	return !strcmp(op, "VariableV2") || !strcmp(op, "VarHandleOp") || !strcmp(op, "Variable");
}

/* Node lookup by name in one node list (the graph, or one function body). */
struct node_index {
	const Tensorflow__NodeDef **by_name;
	size_t n;
};

static int cmp_node(const void *a, const void *b)
{
	return strcmp((*(const Tensorflow__NodeDef *const *)a)->name,
		      (*(const Tensorflow__NodeDef *const *)b)->name);
}

static void index_build(struct node_index *ix, Tensorflow__NodeDef **nodes, size_t n)
{
	ix->by_name = xcalloc(n + 1, sizeof(*ix->by_name));
	ix->n = 0;
	for (size_t i = 0; i < n; i++)
		if (nodes[i]->name && nodes[i]->op)
			ix->by_name[ix->n++] = nodes[i];
	sort_array(ix->by_name, ix->n, sizeof(*ix->by_name), cmp_node);
}

/* The node an input string refers to ("^n", "n", "n:1", "n:output:0"), and its output index. */
static const Tensorflow__NodeDef *index_find(const struct node_index *ix, const char *input, int *out)
{
	char name[1024];
	const char *p = input[0] == '^' ? input + 1 : input, *colon = strchr(p, ':');
	size_t len = colon ? (size_t)(colon - p) : strlen(p), lo = 0, hi = ix->n;

	if (out) {
		const char *last = strrchr(p, ':');
		*out = last ? atoi(last + 1) : 0;
	}
	if (len >= sizeof(name))
		return NULL;
	memcpy(name, p, len);
	name[len] = '\0';
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix->by_name[mid]->name, name);
		if (!c)
			return ix->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Strings of a Const node's value (TF may store a repeated last value once). */
static int const_strings(const Tensorflow__NodeDef *n, const ProtobufCBinaryData **vals,
			 size_t *nvals, uint64_t *count)
{
	const Tensorflow__AttrValue *a;
	const Tensorflow__TensorProto *t;

	if (!n || strcmp(n->op, "Const"))
		return -1;
	a = attr(n, "value");
	if (!a || a->value_case != TENSORFLOW__ATTR_VALUE__VALUE_TENSOR || !a->tensor)
		return -1;
	t = a->tensor;
	*count = 1;
	if (t->tensor_shape)
		for (size_t i = 0; i < t->tensor_shape->n_dim; i++)
			*count *= (uint64_t)(t->tensor_shape->dim[i]->size > 0 ? t->tensor_shape->dim[i]->size : 0);
	if (*count > t->n_string_val && t->n_string_val == 0 && *count > 1000000)
		return -1;
	*vals = t->string_val;
	*nvals = t->n_string_val;
	return 0;
}

static const ProtobufCBinaryData *nth(const ProtobufCBinaryData *v, size_t n, uint64_t i)
{
	static const ProtobufCBinaryData empty = { 0, (uint8_t *)"" };
	if (!n)
		return &empty;
	return &v[i < n ? i : n - 1];
}

/* "10 20 0,5:-" -> full shape [10, 20]. */
static struct graph_shape spec_shape(struct graph_file *g, const char *spec)
{
	struct graph_shape r = { -1, NULL };
	int64_t tmp[256];
	int n = 0;
	const char *p = spec;

	while (*p && n < 256) {
		char *end;
		long long v;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		v = strtoll(p, &end, 10);
		if (end == p || (*end && *end != ' '))
			break;  /* the slice spec, last */
		tmp[n++] = v;
		p = end;
	}
	if (n) {
		int64_t *d = keep(g, xcalloc((size_t)n, sizeof(int64_t)), NULL);
		memcpy(d, tmp, (size_t)n * sizeof(int64_t));
		r.rank = n;
		r.dims = d;
	}
	return r;
}

static void add_restore(struct graph_meta *m, size_t *cap, const ProtobufCBinaryData *key,
			int dtype, const char *spec, const char *op)
{
	if (m->nrestores == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		m->restores = xreallocarray(m->restores, *cap, sizeof(*m->restores));
	}
	m->restores[m->nrestores++] = (struct graph_restore){
		key->data, key->len, dtype, { -1, NULL }, spec, op, -1 };
}

/* Follow Identity nodes back from a consumer's input to the node producing it. */
static const Tensorflow__NodeDef *producer(const struct node_index *ix, const char *input, int *out)
{
	const Tensorflow__NodeDef *n = index_find(ix, input, out);
	for (int hops = 0; n && hops < 8 && !strcmp(n->op, "Identity") && n->n_input; hops++)
		n = index_find(ix, n->input[0], out);
	return n;
}

static int is_restore_op(const char *op)
{
	return !strcmp(op, "RestoreV2") || !strcmp(op, "RestoreSlice") || !strcmp(op, "Restore");
}

#define INITIALIZER "checkpoint_initializer"

/* The saver a restore op belongs to: the scope it is in ("save_1/RestoreV2" -> "save_1"), or
 * INITIALIZER for init_from_checkpoint's ops ("checkpoint_initializer_7", in any scope), which
 * read another checkpoint than the graph's savers. Caller frees. */
static char *saver_group(const char *node)
{
	const char *slash = strrchr(node, '/'), *base = slash ? slash + 1 : node;

	if (!strncmp(base, INITIALIZER, strlen(INITIALIZER)))
		return xstrdup(INITIALIZER);
	return slash ? xmemdup(node, (size_t)(slash - node)) : xstrdup("");
}

/* Restore ops of one node list: RestoreV2 (V2 savers), RestoreSlice and Restore (V1). */
static void restores_in(struct graph_file *g, struct graph_meta *m, size_t *cap,
			Tensorflow__NodeDef **nodes, size_t n)
{
	struct node_index ix;
	size_t first = m->nrestores;

	index_build(&ix, nodes, n);
	for (size_t i = 0; i < n; i++) {
		const Tensorflow__NodeDef *nd = nodes[i];
		const ProtobufCBinaryData *names, *specs = NULL;
		size_t nn, ns = 0;
		uint64_t count, scount;
		if (!nd->op || !nd->name || !is_restore_op(nd->op))
			continue;
		if (!strcmp(nd->op, "RestoreV2") && nd->n_input >= 3) {
			const Tensorflow__AttrValue *dt = attr(nd, "dtypes");
			if (const_strings(index_find(&ix, nd->input[1], NULL), &names, &nn, &count) < 0)
				continue;
			if (const_strings(index_find(&ix, nd->input[2], NULL), &specs, &ns, &scount) < 0)
				ns = 0;
			for (uint64_t k = 0; k < count && k < 1000000; k++) {
				int dtype = -1;
				if (dt && dt->value_case == TENSORFLOW__ATTR_VALUE__VALUE_LIST && dt->list &&
				    k < dt->list->n_type)
					dtype = dt->list->type[k];
				const ProtobufCBinaryData *sp = nth(specs, ns, k);
				add_restore(m, cap, nth(names, nn, k), dtype,
					    keep(g, xmemdup(sp->data, sp->len), NULL), nd->name);
			}
		} else if ((!strcmp(nd->op, "RestoreSlice") && nd->n_input >= 3) ||
			   (!strcmp(nd->op, "Restore") && nd->n_input >= 2)) {
			const char *spec = "";
			if (const_strings(index_find(&ix, nd->input[1], NULL), &names, &nn, &count) < 0)
				continue;
			if (nd->n_input >= 3 &&
			    const_strings(index_find(&ix, nd->input[2], NULL), &specs, &ns, &scount) == 0) {
				const ProtobufCBinaryData *sp = nth(specs, ns, 0);
				spec = keep(g, xmemdup(sp->data, sp->len), NULL);
			}
			add_restore(m, cap, nth(names, nn, 0), attr_type(nd, "dt"), spec, nd->name);
		}
	}
	/* Shapes: from the slice spec, else from the variable that receives the value. */
	for (size_t r = first; r < m->nrestores; r++)
		if (m->restores[r].spec[0])
			m->restores[r].shape = spec_shape(g, m->restores[r].spec);
	for (size_t i = 0; i < n && m->nrestores > first; i++) {
		const Tensorflow__NodeDef *nd = nodes[i], *src, *var;
		int out;
		if (!nd->op || nd->n_input < 2 ||
		    (strcmp(nd->op, "Assign") && strcmp(nd->op, "AssignVariableOp")))
			continue;
		src = producer(&ix, nd->input[1], &out);
		var = index_find(&ix, nd->input[0], NULL);
		if (!src || !var || !is_variable_op(var->op))
			continue;
		/* The out-th tensor read by src. */
		for (size_t r = first, k = 0; r < m->nrestores; r++) {
			if (strcmp(m->restores[r].op, src->name))
				continue;
			if ((int)k++ == out) {
				if (m->restores[r].shape.rank < 0)
					m->restores[r].shape = attr_shape(g, var, "shape");
				break;
			}
		}
	}
	free(ix.by_name);
}

static int cmp_op_count(const void *a, const void *b)
{
	const struct graph_op_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->op, y->op);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_coll(const void *a, const void *b)
{
	return strcmp(((const struct graph_collection *)a)->name,
		      ((const struct graph_collection *)b)->name);
}

static int cmp_sig(const void *a, const void *b)
{
	return strcmp(((const struct graph_signature *)a)->key,
		      ((const struct graph_signature *)b)->key);
}

static int cmp_info(const void *a, const void *b)
{
	return strcmp(((const struct graph_tensor_info *)a)->key,
		      ((const struct graph_tensor_info *)b)->key);
}

static void tensor_infos(struct graph_file *g, Tensorflow__SignatureDef__InputsEntry **in, size_t n,
			 struct graph_tensor_info **out, size_t *nout)
{
	*out = xcalloc(n + 1, sizeof(**out));
	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		const Tensorflow__TensorInfo *ti = in[i]->value;
		struct graph_tensor_info *o = &(*out)[(*nout)++];
		o->key = in[i]->key ? in[i]->key : "";
		o->tensor = "";
		o->dtype = 0;
		o->shape.rank = -1;
		if (!ti)
			continue;
		if (ti->encoding_case == TENSORFLOW__TENSOR_INFO__ENCODING_NAME && ti->name)
			o->tensor = ti->name;
		else if (ti->encoding_case == TENSORFLOW__TENSOR_INFO__ENCODING_COO_SPARSE && ti->coo_sparse)
			o->tensor = ti->coo_sparse->values_tensor_name;
		else if (ti->encoding_case == TENSORFLOW__TENSOR_INFO__ENCODING_COMPOSITE_TENSOR)
			o->tensor = "(composite)";
		o->dtype = ti->dtype;
		o->shape = shape_of(g, ti->tensor_shape);
	}
	sort_array(*out, *nout, sizeof(**out), cmp_info);
}

/* Names listed by the VariableDefs of a collection; partition info goes to *defs. */
static void collection_vardefs(struct graph_file *g, const Tensorflow__MetaGraphDef *mg,
			       const char *name, const char ***names, size_t *n,
			       Tensorflow__VariableDef ***defs)
{
	*names = NULL;
	*n = 0;
	if (defs)
		*defs = NULL;
	for (size_t i = 0; i < mg->n_collection_def; i++) {
		const Tensorflow__CollectionDef *c = mg->collection_def[i]->value;
		if (!mg->collection_def[i]->key || strcmp(mg->collection_def[i]->key, name) || !c)
			continue;
		if (c->kind_case == TENSORFLOW__COLLECTION_DEF__KIND_BYTES_LIST && c->bytes_list) {
			size_t cnt = c->bytes_list->n_value;
			*names = keep(g, xcalloc(cnt + 1, sizeof(char *)), NULL);
			if (defs)
				*defs = keep(g, xcalloc(cnt + 1, sizeof(Tensorflow__VariableDef *)), NULL);
			for (size_t k = 0; k < cnt; k++) {
				ProtobufCBinaryData b = c->bytes_list->value[k];
				Tensorflow__VariableDef *v = tensorflow__variable_def__unpack(NULL, b.len, b.data);
				char *nm, *colon;
				if (!v || !v->variable_name) {
					if (v)
						tensorflow__variable_def__free_unpacked(v, NULL);
					continue;
				}
				keep(g, v, free_vardef);
				nm = keep(g, xstrdup(v->variable_name), NULL);
				colon = strrchr(nm, ':');
				if (colon)
					*colon = '\0';
				if (defs)
					(*defs)[*n] = v;
				(*names)[(*n)++] = nm;
			}
		} else if (c->kind_case == TENSORFLOW__COLLECTION_DEF__KIND_NODE_LIST && c->node_list) {
			*names = (const char **)c->node_list->value;
			*n = c->node_list->n_value;
		}
	}
}

/* The placeholders that carry a saver's file name (TF1: save/Const <- save/filename, TF2:
 * saver_filename): fed by Saver.save/restore, not by whoever runs the model, so not inputs.
 * Those of the saver_def and those feeding any restore op's prefix. */
struct feeds {
	const Tensorflow__NodeDef **v;
	size_t n, cap;
};

static void feeds_from(struct feeds *f, const struct node_index *ix, const char *input)
{
	const Tensorflow__NodeDef *nd = producer(ix, input, NULL);

	for (int hops = 0; nd && hops < 8; hops++) {
		if (strcmp(nd->op, "Placeholder") && strcmp(nd->op, "PlaceholderWithDefault"))
			break;
		if (f->n == f->cap) {
			f->cap = f->cap ? 2 * f->cap : 8;
			f->v = xreallocarray(f->v, f->cap, sizeof(*f->v));
		}
		f->v[f->n++] = nd;
		nd = !strcmp(nd->op, "PlaceholderWithDefault") && nd->n_input
			     ? producer(ix, nd->input[0], NULL) : NULL;
	}
}

static void saver_feeds(const Tensorflow__MetaGraphDef *mg, Tensorflow__NodeDef **nodes, size_t nn,
			struct feeds *f)
{
	const char *name = mg->saver_def ? mg->saver_def->filename_tensor_name : NULL;
	struct node_index ix;

	memset(f, 0, sizeof(*f));
	index_build(&ix, nodes, nn);
	if (name && *name)
		feeds_from(f, &ix, name);
	for (size_t i = 0; i < nn; i++)
		if (nodes[i]->op && nodes[i]->name && is_restore_op(nodes[i]->op) && nodes[i]->n_input)
			feeds_from(f, &ix, nodes[i]->input[0]);
	free(ix.by_name);
}

static int cmp_saver(const void *a, const void *b)
{
	return strcmp(((const struct graph_saver *)a)->name, ((const struct graph_saver *)b)->name);
}

static int cmp_restore_ptr(const void *a, const void *b)
{
	const struct graph_restore *x = *(const struct graph_restore *const *)a;
	const struct graph_restore *y = *(const struct graph_restore *const *)b;
	return key_cmp(x->key, x->key_len, y->key, y->key_len);
}

/* Distinct keys among rs[0..n) whose saver is s. */
static size_t saver_keys(const struct graph_restore *rs, size_t n, int s)
{
	const struct graph_restore **k = xcalloc(n + 1, sizeof(*k));
	size_t nk = 0, u = 0;

	for (size_t i = 0; i < n; i++)
		if (rs[i].saver == s)
			k[nk++] = &rs[i];
	sort_array(k, nk, sizeof(*k), cmp_restore_ptr);
	for (size_t i = 0; i < nk; i++)
		u += !i || cmp_restore_ptr(&k[i - 1], &k[i]) != 0;
	free(k);
	return u;
}

/* Every restore op of the graph into m->all_restores, each tagged with its saver; TF2 graphs
 * restore inside a function of the library instead. */
static void find_restores(struct graph_file *g, const Tensorflow__GraphDef *gd, struct graph_meta *m)
{
	Tensorflow__NodeDef **nodes = gd ? gd->node : NULL;
	size_t nn = gd ? gd->n_node : 0, cap = 0;

	/* The savers: each restore op's group, sorted, duplicates dropped. */
	m->savers = xcalloc(nn + 1, sizeof(*m->savers));
	for (size_t i = 0; i < nn; i++)
		if (nodes[i]->op && nodes[i]->name && is_restore_op(nodes[i]->op))
			m->savers[m->nsavers++].name = saver_group(nodes[i]->name);
	sort_array(m->savers, m->nsavers, sizeof(*m->savers), cmp_saver);
	{
		size_t u = 0;
		for (size_t k = 0; k < m->nsavers; k++) {
			if (u && !strcmp(m->savers[u - 1].name, m->savers[k].name)) {
				free(m->savers[k].name);
				continue;
			}
			m->savers[u].name = m->savers[k].name;
			m->savers[u++].initializer = !strcmp(m->savers[k].name, INITIALIZER);
		}
		m->nsavers = u;
	}
	restores_in(g, m, &cap, nodes, nn);
	for (size_t r = 0; r < m->nrestores; r++) {
		struct graph_saver probe = { saver_group(m->restores[r].op), 0, 0, 0 };
		const struct graph_saver *s = bsearch(&probe, m->savers, m->nsavers, sizeof(*m->savers),
						      cmp_saver);
		m->restores[r].saver = s ? (int)(s - m->savers) : -1;
		free(probe.name);
	}
	if (!m->nrestores && gd && gd->library)
		for (size_t f = 0; f < gd->library->n_function; f++)
			restores_in(g, m, &cap, gd->library->function[f]->node_def,
				    gd->library->function[f]->n_node_def);
	/* Shapes the restore op leaves open: from the variable of that name. */
	for (size_t r = 0; r < m->nrestores; r++) {
		struct graph_restore *rs = &m->restores[r];
		for (size_t i = 0; rs->shape.rank < 0 && i < m->nvars; i++) {
			const struct graph_var *v = &m->vars[i];
			if (!v->full_name && strlen(v->name) == rs->key_len &&
			    !memcmp(v->name, rs->key, rs->key_len))
				rs->shape = v->shape;
		}
	}
	for (size_t k = 0; k < m->nsavers; k++)
		m->savers[k].nkeys = saver_keys(m->restores, m->nrestores, (int)k);
	m->all_restores = m->restores;
	m->nall_restores = m->nrestores;
	m->restores = NULL;
	m->nrestores = 0;
}

/* No restore op: what a Saver() made for this graph would read, the variable names (a
 * partitioned variable's parts under the name of the whole). */
static void restores_from_vars(struct graph_meta *m)
{
	size_t cap = 0;

	for (size_t i = 0; i < m->nvars; i++) {
		const struct graph_var *v = &m->vars[i];
		ProtobufCBinaryData key = { strlen(v->name), (uint8_t *)v->name };
		if (v->full_name) {
			size_t k;
			key = (ProtobufCBinaryData){ v->full_name_len, (uint8_t *)v->full_name };
			for (k = 0; k < m->nrestores; k++)
				if (key_cmp(m->restores[k].key, m->restores[k].key_len, key.data, key.len) == 0)
					break;
			if (k < m->nrestores)
				continue;  /* another part of the same variable */
		}
		add_restore(m, &cap, &key, v->dtype, "", v->name);
		if (v->full_name) {
			m->restores[m->nrestores - 1].shape.rank = v->full_rank;
			m->restores[m->nrestores - 1].shape.dims = v->full_dims;
		} else {
			m->restores[m->nrestores - 1].shape = v->shape;
		}
	}
}

/* m->restores: the keys of the selected savers (or of the functions, or the variables). */
static void use_selected(struct graph_meta *m)
{
	size_t any = 0;

	free(m->restores);
	m->restores = xcalloc(m->nall_restores + 1, sizeof(*m->restores));
	m->nrestores = 0;
	for (size_t k = 0; k < m->nsavers; k++)
		any += m->savers[k].selected;
	for (size_t r = 0; r < m->nall_restores; r++) {
		int s = m->all_restores[r].saver;
		if (s < 0 ? !m->nsavers : m->savers[s].selected)
			m->restores[m->nrestores++] = m->all_restores[r];
	}
	if (m->nrestores)
		m->restore_from = !m->nsavers ? GR_FUNCTIONS : m->restore_from;
	else if (!any || !m->nsavers) {
		m->restore_from = GR_VARIABLES;
		restores_from_vars(m);
	}
	m->from_restore_op = m->restore_from != GR_VARIABLES;
}

/* The default: the saver the saver_def names; without one, the only saver, or all of them.
 * The checkpoint_initializer ops read another checkpoint: never by default. */
static void select_default(struct graph_meta *m)
{
	char *def = m->saver_restore && *m->saver_restore ? saver_group(m->saver_restore) : NULL;
	size_t nplain = 0, ndef = 0;

	for (size_t k = 0; k < m->nsavers; k++) {
		m->savers[k].selected = def && !m->savers[k].initializer && !strcmp(m->savers[k].name, def);
		ndef += m->savers[k].selected;
		nplain += !m->savers[k].initializer;
	}
	m->restore_from = GR_SAVER_DEF;
	if (!ndef) {
		m->restore_from = nplain == 1 ? GR_ONLY_SAVER : GR_ALL_SAVERS;
		for (size_t k = 0; k < m->nsavers; k++)
			m->savers[k].selected = !m->savers[k].initializer;
	}
	free(def);
	use_selected(m);
}

int graph_select_saver(struct graph_file *g, const char *name, struct ck_err *err)
{
	struct buf have = BUF_INIT;
	size_t found = 0;
	int rc;

	for (size_t i = 0; i < g->nmetas; i++) {
		struct graph_meta *m = &g->metas[i];
		size_t k;
		for (k = 0; k < m->nsavers && strcmp(m->savers[k].name, name); k++)
			;
		if (k == m->nsavers)
			continue;
		for (size_t j = 0; j < m->nsavers; j++)
			m->savers[j].selected = j == k;
		m->restore_from = GR_CHOSEN;
		use_selected(m);
		found++;
	}
	if (found)
		return 0;
	for (size_t i = 0; i < g->nmetas; i++)
		for (size_t k = 0; k < g->metas[i].nsavers; k++)
			if (!strstr((const char *)have.p ? (const char *)have.p : "",
				    g->metas[i].savers[k].name))
				buf_addf(&have, "%s%s", have.len ? ", " : "", g->metas[i].savers[k].name);
	rc = ck_error(err, CK_ENOTFOUND, "%s: no saver \"%s\" in the graph (%s%s)", g->path, name,
		      have.len ? "its savers: " : "it has no restore ops",
		      have.len ? (const char *)have.p : "");
	buf_release(&have);
	return rc;
}

/* TF 1.x under Python 3 recorded its git version as the repr of a bytes object,
 * "b'v1.12.0-0-ga6d8ffae09'": the version is what lies between the quotes. In place. */
static char *strip_bytes_repr(char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= 3 && s[0] == 'b' && (s[1] == '\'' || s[1] == '"') && s[n - 1] == s[1]) {
		memmove(s, s + 2, n - 3);
		s[n - 3] = 0;
	}
	return s;
}

/* Nodes, the op histogram, and the size of the function library. */
static void analyse_nodes(const Tensorflow__GraphDef *gd, struct graph_meta *m)
{
	Tensorflow__NodeDef **nodes = gd ? gd->node : NULL;
	size_t nn = gd ? gd->n_node : 0;
	const char **ops;

	m->nodes = xcalloc(nn + 1, sizeof(*m->nodes));
	ops = xcalloc(nn + 1, sizeof(*ops));
	for (size_t i = 0; i < nn; i++) {
		const Tensorflow__NodeDef *nd = nodes[i];
		m->nodes[i] = (struct graph_node){ nd->name ? nd->name : "", nd->op ? nd->op : "",
						   nd->device ? nd->device : "", nd->input, nd->n_input };
		ops[i] = m->nodes[i].op;
	}
	m->nnodes = nn;
	sort_array(ops, nn, sizeof(*ops), cmp_str);
	m->ops = xcalloc(nn + 1, sizeof(*m->ops));
	for (size_t i = 0; i < nn; i++) {
		if (m->nops && !strcmp(m->ops[m->nops - 1].op, ops[i]))
			m->ops[m->nops - 1].count++;
		else
			m->ops[m->nops++] = (struct graph_op_count){ ops[i], 1 };
	}
	sort_array(m->ops, m->nops, sizeof(*m->ops), cmp_op_count);
	free(ops);
	if (gd && gd->library) {
		m->nfunctions = gd->library->n_function;
		for (size_t f = 0; f < gd->library->n_function; f++)
			m->nfunction_nodes += gd->library->function[f]->n_node_def;
	}
}

/* A placeholder that the saver does not feed: an input (or a captured variable handle). */
static void analyse_input(struct graph_file *g, const Tensorflow__NodeDef *nd,
			  const struct feeds *not_inputs, struct graph_meta *m)
{
	struct graph_input *in;
	size_t k;

	for (k = 0; k < not_inputs->n && not_inputs->v[k] != nd; k++)
		;
	if (k < not_inputs->n)
		return;
	if (attr_type(nd, "dtype") == DT_RESOURCE) {
		m->nresource_inputs++;  /* variable handles a function captures */
		return;
	}
	in = &m->inputs[m->ninputs++];
	in->tensor = xasprintf("%s:0", nd->name);
	in->op = nd->op;
	in->dtype = attr_type(nd, "dtype");
	in->shape = attr_shape(g, nd, "shape");
	/* Graphs older than version 21 meant "any shape" by a rank-0 shape. */
	if (in->shape.rank == 0 && m->producer >= 0 && m->producer < 21)
		in->shape.rank = -1;
}

/* The TF1 collections' names of the trainable variables and of all variables (with their
 * VariableDefs, whose SaveSliceInfoDef names a partitioned variable's full tensor). */
struct var_colls {
	const char **trainable, **all;
	size_t ntrain, nall;
	Tensorflow__VariableDef **defs;
};

static void analyse_var(struct graph_file *g, const Tensorflow__NodeDef *nd,
			const struct var_colls *vc, struct graph_meta *m)
{
	struct graph_var *v = &m->vars[m->nvars++];

	v->name = nd->name;
	v->op = nd->op;
	v->dtype = attr_type(nd, "dtype");
	v->shape = attr_shape(g, nd, "shape");
	v->trainable = vc->trainable || vc->all ? 0 : -1;
	for (size_t k = 0; k < vc->ntrain; k++)
		if (!strcmp(vc->trainable[k], nd->name))
			v->trainable = 1;
	for (size_t k = 0; vc->defs && k < vc->nall; k++) {
		const Tensorflow__SaveSliceInfoDef *si;
		if (!vc->defs[k] || strcmp(vc->all[k], nd->name) || !vc->defs[k]->save_slice_info_def)
			continue;
		si = vc->defs[k]->save_slice_info_def;
		v->full_name = si->full_name.data;
		v->full_name_len = si->full_name.len;
		v->full_rank = (int)si->n_full_shape;
		v->full_dims = si->full_shape;
	}
}

/* Inputs (placeholders the saver does not feed) and variables. */
static void analyse_inputs_vars(struct graph_file *g, const Tensorflow__MetaGraphDef *mg,
				struct graph_meta *m)
{
	const Tensorflow__GraphDef *gd = mg->graph_def;
	Tensorflow__NodeDef **nodes = gd ? gd->node : NULL;
	size_t nn = gd ? gd->n_node : 0;
	struct var_colls vc = { 0 };
	struct feeds not_inputs;

	saver_feeds(mg, nodes, nn, &not_inputs);
	collection_vardefs(g, mg, "trainable_variables", &vc.trainable, &vc.ntrain, NULL);
	collection_vardefs(g, mg, "variables", &vc.all, &vc.nall, &vc.defs);
	m->inputs = xcalloc(nn + 1, sizeof(*m->inputs));
	m->vars = xcalloc(nn + 1, sizeof(*m->vars));
	for (size_t i = 0; i < nn; i++) {
		const Tensorflow__NodeDef *nd = nodes[i];
		if (!nd->op || !nd->name)
			continue;
		if (!strcmp(nd->op, "Placeholder") || !strcmp(nd->op, "PlaceholderWithDefault"))
			analyse_input(g, nd, &not_inputs, m);
		else if (is_variable_op(nd->op))
			analyse_var(g, nd, &vc, m);
	}
	free(not_inputs.v);
}

static void analyse_signatures(struct graph_file *g, const Tensorflow__MetaGraphDef *mg,
			       struct graph_meta *m)
{
	m->sigs = xcalloc(mg->n_signature_def + 1, sizeof(*m->sigs));
	for (size_t i = 0; i < mg->n_signature_def; i++) {
		const Tensorflow__SignatureDef *sd = mg->signature_def[i]->value;
		struct graph_signature *s = &m->sigs[m->nsigs++];
		s->key = mg->signature_def[i]->key ? mg->signature_def[i]->key : "";
		s->method = sd && sd->method_name ? sd->method_name : "";
		if (sd) {
			tensor_infos(g, (Tensorflow__SignatureDef__InputsEntry **)sd->inputs, sd->n_inputs,
				     &s->inputs, &s->ninputs);
			tensor_infos(g, (Tensorflow__SignatureDef__InputsEntry **)sd->outputs,
				     sd->n_outputs, &s->outputs, &s->noutputs);
		}
	}
	sort_array(m->sigs, m->nsigs, sizeof(*m->sigs), cmp_sig);
}

static void analyse_collections(const Tensorflow__MetaGraphDef *mg, struct graph_meta *m)
{
	m->collections = xcalloc(mg->n_collection_def + 1, sizeof(*m->collections));
	for (size_t i = 0; i < mg->n_collection_def; i++) {
		const Tensorflow__CollectionDef *c = mg->collection_def[i]->value;
		struct graph_collection *o = &m->collections[m->ncollections++];
		o->name = mg->collection_def[i]->key ? mg->collection_def[i]->key : "";
		o->kind = "empty";
		if (!c)
			continue;
		switch (c->kind_case) {
		case TENSORFLOW__COLLECTION_DEF__KIND_NODE_LIST:
			o->kind = "node_list";
			o->size = c->node_list ? c->node_list->n_value : 0;
			break;
		case TENSORFLOW__COLLECTION_DEF__KIND_BYTES_LIST:
			o->kind = "bytes_list";
			o->size = c->bytes_list ? c->bytes_list->n_value : 0;
			break;
		case TENSORFLOW__COLLECTION_DEF__KIND_INT64_LIST:
			o->kind = "int64_list";
			o->size = c->int64_list ? c->int64_list->n_value : 0;
			break;
		case TENSORFLOW__COLLECTION_DEF__KIND_FLOAT_LIST:
			o->kind = "float_list";
			o->size = c->float_list ? c->float_list->n_value : 0;
			break;
		case TENSORFLOW__COLLECTION_DEF__KIND_ANY_LIST:
			o->kind = "any_list";
			o->size = c->any_list ? c->any_list->n_value : 0;
			break;
		default:
			break;
		}
	}
	sort_array(m->collections, m->ncollections, sizeof(*m->collections), cmp_coll);
}

static void analyse_saver(const Tensorflow__MetaGraphDef *mg, struct graph_meta *m)
{
	const Tensorflow__SaverDef *s = mg->saver_def;

	if (!s)
		return;
	m->has_saver = 1;
	m->saver_version = s->version;
	m->saver_sharded = s->sharded;
	m->saver_max_to_keep = s->max_to_keep;
	m->saver_keep_hours = s->keep_checkpoint_every_n_hours;
	m->saver_filename = s->filename_tensor_name ? s->filename_tensor_name : "";
	m->saver_save = s->save_tensor_name ? s->save_tensor_name : "";
	m->saver_restore = s->restore_op_name ? s->restore_op_name : "";
}

static void analyse(struct graph_file *g, const Tensorflow__MetaGraphDef *mg, struct graph_meta *m)
{
	const Tensorflow__GraphDef *gd = mg->graph_def;

	memset(m, 0, sizeof(*m));
	m->producer = gd && gd->versions ? gd->versions->producer : -1;
	if (mg->meta_info_def) {
		const Tensorflow__MetaGraphDef__MetaInfoDef *mi = mg->meta_info_def;
		m->tf_version = strip_bytes_repr(mi->tensorflow_version);
		m->tf_git_version = strip_bytes_repr(mi->tensorflow_git_version);
		m->meta_graph_version = mi->meta_graph_version;
		m->tags = (const char *const *)mi->tags;
		m->ntags = mi->n_tags;
	}
	analyse_nodes(gd, m);
	analyse_inputs_vars(g, mg, m);
	analyse_signatures(g, mg, m);
	analyse_collections(mg, m);
	analyse_saver(mg, m);
	/* What a restore reads: the keys of the saver the saver_def names (other savers and
	 * warm-start initializers read other checkpoints). */
	find_restores(g, gd, m);
	select_default(m);
}

int graph_open(struct graph_file **out, const char *arg, struct ck_err *err)
{
	struct graph_file *g = xcalloc(1, sizeof(*g));
	struct graph_pb *pb = xcalloc(1, sizeof(*pb));
	struct buf data = BUF_INIT;
	int rc;

	*out = NULL;
	g->pb = pb;
	rc = locate(arg, &g->path, &g->saved_model, err);
	if (rc < 0)
		goto fail;
	rc = read_file(g->path, &data, err);
	if (rc < 0)
		goto fail;
	if (g->saved_model) {
		if (!pb_depth_ok(&tensorflow__saved_model__descriptor, data.p, data.len, 0) ||
		    !(pb->sm = tensorflow__saved_model__unpack(NULL, data.len, data.p))) {
			rc = ck_error(err, CK_ECORRUPT, "%s: not a valid SavedModel protobuf", g->path);
			goto fail;
		}
		if (!pb->sm->n_meta_graphs) {
			rc = ck_error(err, CK_ECORRUPT, "%s: a SavedModel without any graph", g->path);
			goto fail;
		}
		g->schema_version = pb->sm->saved_model_schema_version;
		g->nmetas = pb->sm->n_meta_graphs;
		g->metas = xcalloc(g->nmetas, sizeof(*g->metas));
		for (size_t i = 0; i < g->nmetas; i++)
			analyse(g, pb->sm->meta_graphs[i], &g->metas[i]);
	} else {
		if (!pb_depth_ok(&tensorflow__meta_graph_def__descriptor, data.p, data.len, 0) ||
		    !(pb->mg = tensorflow__meta_graph_def__unpack(NULL, data.len, data.p))) {
			rc = ck_error(err, CK_ECORRUPT, "%s: not a valid MetaGraphDef protobuf", g->path);
			goto fail;
		}
		if (!pb->mg->graph_def && !pb->mg->meta_info_def) {
			rc = ck_error(err, CK_EKIND, "%s: not a MetaGraphDef (no graph, no meta info)",
				      g->path);
			goto fail;
		}
		g->nmetas = 1;
		g->metas = xcalloc(1, sizeof(*g->metas));
		analyse(g, pb->mg, &g->metas[0]);
	}
	buf_release(&data);
	*out = g;
	return 0;
fail:
	buf_release(&data);
	graph_free(g);
	return rc;
}

/* ---- checking a checkpoint ---------------------------------------------------------- */

/* Whether one of keys[0..nkeys) (sorted) restores checkpoint tensor e. */
static int is_restored(const struct graph_restore *const *keys, size_t nkeys,
		       const struct bundle_entry *e)
{
	struct graph_restore probe = { (const uint8_t *)e->name, e->name_len, 0, { -1, NULL }, "", "", -1 };
	const struct graph_restore *pp = &probe;
	return bsearch(&pp, keys, nkeys, sizeof(*keys), cmp_restore_ptr) != NULL;
}

static int shape_matches(struct graph_shape s, const struct bundle_entry *e)
{
	if (s.rank < 0)
		return 1;
	if (s.rank != e->rank)
		return 0;
	for (int i = 0; i < s.rank; i++)
		if (s.dims[i] >= 0 && s.dims[i] != e->dims[i])
			return 0;
	return 1;
}

static void add_problem(struct graph_check *c, size_t *cap, struct graph_problem p)
{
	if (c->nproblems == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		c->problems = xreallocarray(c->problems, *cap, sizeof(*c->problems));
	}
	c->problems[c->nproblems++] = p;
	if (p.kind != GP_UNUSED)
		c->nfailing++;
}

/* Whether index entry e holds (part of) a tensor one of keys[0..nkeys) restores. */
static int entry_restored(const struct graph_restore *const *keys, size_t nkeys,
			  const struct bundle_entry *e)
{
	struct bundle_entry whole = *e;
	struct buf name = BUF_INIT;
	int64_t *ext = NULL;
	int rank, r;

	if (!e->is_slice)
		return is_restored(keys, nkeys, e);
	if (slice_key_parse((const uint8_t *)e->name, e->name_len, &name, &rank, &ext) < 0) {
		buf_release(&name);
		return 0;
	}
	whole.name = (char *)name.p;
	whole.name_len = name.len;
	r = is_restored(keys, nkeys, &whole);
	free(ext);
	buf_release(&name);
	return r;
}

/* Every data shard: there, and as long as the payloads the index puts in it? A restore opens
 * the shards of the tensors it reads, so a missing or short one holding any fails it. V1
 * checkpoints keep their data in the table files already read to list the names. */
static void check_shards(const struct bundle *b, const struct graph_restore *const *keys,
			 size_t nkeys, struct graph_check *c)
{
	struct graph_shard_problem *sp;
	size_t cap = 0;

	if (b->format != 2 || b->num_shards <= 0)
		return;
	sp = xcalloc((size_t)b->num_shards, sizeof(*sp));
	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		struct graph_shard_problem *s;
		if (e->nslices || e->shard < 0 || e->shard >= b->num_shards)
			continue;  /* a partitioned tensor's own entry holds no bytes */
		s = &sp[e->shard];
		s->ntensors++;
		s->nrestored += entry_restored(keys, nkeys, e) != 0;
		if (e->size && e->offset + e->size > s->needed)
			s->needed = e->offset + e->size;
	}
	c->nshards = b->num_shards;
	for (int i = 0; i < b->num_shards; i++) {
		struct graph_shard_problem p = sp[i];
		p.shard = i;
		if (!p.ntensors)
			continue;  /* nothing to read there */
		if (bundle_shard_size(b, i, &p.size) < 0)
			p.missing = 1;
		else if (p.size >= p.needed)
			continue;
		if (c->nshard_problems == cap) {
			cap = cap ? 2 * cap : 4;
			c->shards = xreallocarray(c->shards, cap, sizeof(*c->shards));
		}
		c->shards[c->nshard_problems++] = p;
		c->nshard_failing += p.nrestored > 0;
	}
	free(sp);
}

void graph_check_run(const struct graph_meta *m, const struct bundle *b, struct graph_check *c)
{
	const struct graph_restore **keys = xcalloc(m->nrestores + 1, sizeof(*keys));
	size_t nkeys = 0, cap = 0;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < m->nrestores; i++)
		keys[nkeys++] = &m->restores[i];
	sort_array(keys, nkeys, sizeof(*keys), cmp_restore_ptr);
	/* One check per key (a partitioned variable is restored once per part). */
	{
		size_t u = 0;
		for (size_t i = 0; i < nkeys; i++)
			if (!u || cmp_restore_ptr(&keys[u - 1], &keys[i]))
				keys[u++] = keys[i];
		nkeys = u;
	}
	for (int kind = GP_MISSING; kind <= GP_SHAPE; kind++)
		for (size_t i = 0; i < nkeys; i++) {
			const struct graph_restore *r = keys[i];
			const struct bundle_entry *e = bundle_find(b, r->key, r->key_len);
			struct graph_problem p = { (enum graph_problem_kind)kind, r, e };
			if (e && e->is_slice)
				e = p.have = NULL;
			if (kind == GP_MISSING && !e) {
				add_problem(c, &cap, p);
			} else if (kind == GP_DTYPE && e && r->dtype > 0 && r->dtype != e->dtype) {
				add_problem(c, &cap, p);
			} else if (kind == GP_SHAPE && e && (r->dtype <= 0 || r->dtype == e->dtype) &&
				   !shape_matches(r->shape, e)) {
				add_problem(c, &cap, p);
			} else if (kind == GP_SHAPE && e && (r->dtype <= 0 || r->dtype == e->dtype)) {
				c->nrestored++;
			}
		}
	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		if (e->is_slice || (e->name_len == strlen(OBJECT_GRAPH_KEY) &&
				    !memcmp(e->name, OBJECT_GRAPH_KEY, e->name_len)))
			continue;
		if (!is_restored(keys, nkeys, e))
			add_problem(c, &cap, (struct graph_problem){ GP_UNUSED, NULL, e });
	}
	check_shards(b, keys, nkeys, c);
	free(keys);
}

void graph_check_release(struct graph_check *c)
{
	free(c->shards);
	free(c->problems);
	memset(c, 0, sizeof(*c));
}

int graph_tf_version(const char *meta_path, char *out, size_t n)
{
	struct buf data = BUF_INIT;
	Tensorflow__MetaGraphHead *h;
	int rc = -1;

	if (read_file(meta_path, &data, NULL) < 0) {
		buf_release(&data);
		return -1;
	}
	h = tensorflow__meta_graph_head__unpack(NULL, data.len, data.p);
	if (h && h->meta_info_def && h->meta_info_def->tensorflow_version &&
	    *h->meta_info_def->tensorflow_version) {
		snprintf(out, n, "%s", strip_bytes_repr(h->meta_info_def->tensorflow_version));
		rc = 0;
	}
	if (h)
		tensorflow__meta_graph_head__free_unpacked(h, NULL);
	buf_release(&data);
	return rc;
}
