/* Loading the TF2 object graph and naming its nodes. */
#include "format/objgraph.h"

#include <stdlib.h>
#include <string.h>

#include "format/dtype.h"
#include "format/table.h"

struct one_string {
	const uint8_t *p;
	size_t len;
};

static int take(void *ctx, uint64_t i, const uint8_t *s, size_t len)
{
	struct one_string *o = ctx;
	o->p = s;
	o->len = len;
	return 0;
}

int objgraph_load(struct bundle *b, objgraph **g, struct ck_err *err)
{
	const struct bundle_entry *e = bundle_find(b, OBJECT_GRAPH_KEY, strlen(OBJECT_GRAPH_KEY));
	struct one_string s = { NULL, 0 };
	struct buf data = BUF_INIT;
	int rc;

	*g = NULL;
	if (!e)
		return ck_error(err, CK_ENOTFOUND, "%s: no object graph (%s): a name-based (TF1 style) "
				"checkpoint", b->index_path, OBJECT_GRAPH_KEY);
	if (e->dtype != DT_STRING || e->elements != 1 || e->nslices)
		return ck_error(err, CK_ECORRUPT, "%s: %s is a %s tensor of %llu elements, not one "
				"string", b->index_path, OBJECT_GRAPH_KEY, dtype_name(e->dtype),
				(unsigned long long)e->elements);
	rc = bundle_read(b, e, &data, err);
	if (!rc)
		rc = bundle_strings(data.p, data.len, 1, take, &s, err);
	if (!rc) {
		*g = tensorflow__trackable_object_graph__unpack(NULL, s.len, s.p);
		if (!*g)
			rc = ck_error(err, CK_ECORRUPT, "%s: %s does not hold a valid TrackableObjectGraph",
				      b->index_path, OBJECT_GRAPH_KEY);
	}
	buf_release(&data);
	return rc;
}

void objgraph_free(objgraph *g)
{
	if (g)
		tensorflow__trackable_object_graph__free_unpacked(g, NULL);
}

static void add_escaped_name(struct buf *b, const ProtobufCBinaryData *n)
{
	for (size_t i = 0; i < n->len; i++) {
		if (n->data[i] == '.')
			buf_add(b, "..", 2);
		else if (n->data[i] == '/')
			buf_add(b, ".S", 2);
		else
			buf_addc(b, n->data[i]);
	}
}

#define PATHS_BUDGET (64u << 20)

char **objgraph_paths(const objgraph *g)
{
	size_t n = g->n_nodes, *queue, head = 0, tail = 0;
	char **path = xcalloc(n + 1, sizeof(char *));
	uint64_t budget = PATHS_BUDGET + 256 * (uint64_t)n;

	if (!n)
		return path;
	queue = xcalloc(n, sizeof(size_t));
	path[0] = xstrdup("");
	queue[tail++] = 0;
	while (head < tail) {
		const Tensorflow__TrackableObjectGraph__TrackableObject *o = g->nodes[queue[head]];
		const char *parent = path[queue[head++]];
		for (size_t k = 0; k < o->n_children; k++) {
			int id = o->children[k]->node_id;
			struct buf b = BUF_INIT;
			if (id < 0 || (size_t)id >= n || path[id])
				continue;
			buf_addf(&b, "%s%s", parent, *parent ? "/" : "");
			add_escaped_name(&b, &o->children[k]->local_name);
			if (b.len >= budget) {
				buf_release(&b);
				continue;
			}
			budget -= b.len;
			path[id] = buf_detach(&b, NULL);
			queue[tail++] = (size_t)id;
		}
	}
	/* Slot variables hang off the optimizer node, outside the child edges. */
	for (size_t i = 0; i < n; i++) {
		const Tensorflow__TrackableObjectGraph__TrackableObject *o = g->nodes[i];
		for (size_t k = 0; k < o->n_slot_variables && path[i]; k++) {
			const Tensorflow__TrackableObjectGraph__TrackableObject__SlotVariableReference *s =
				o->slot_variables[k];
			int var = s->original_variable_node_id, slot = s->slot_variable_node_id;
			struct buf b = BUF_INIT;
			if (var < 0 || (size_t)var >= n || slot < 0 || (size_t)slot >= n || path[slot] ||
			    !path[var])
				continue;
			buf_addf(&b, "%s/.OPTIMIZER_SLOT/%s/", path[var], path[i]);
			add_escaped_name(&b, &s->slot_name);
			if (b.len >= budget) {
				buf_release(&b);
				continue;
			}
			budget -= b.len;
			path[slot] = buf_detach(&b, NULL);
		}
	}
	free(queue);
	return path;
}

void objgraph_paths_free(char **paths, size_t n)
{
	if (!paths)
		return;
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

/* ---- editing ---- */

typedef Tensorflow__TrackableObjectGraph__TrackableObject Node;
typedef Tensorflow__TrackableObjectGraph__TrackableObject__ObjectReference Ref;
typedef Tensorflow__TrackableObjectGraph__TrackableObject__SerializedTensor Attr;
typedef Tensorflow__TrackableObjectGraph__TrackableObject__SlotVariableReference Slot;

static int bad_id(const objgraph *g, int32_t id)
{
	return id < 0 || (size_t)id >= g->n_nodes;
}

int objgraph_validate(const objgraph *g, struct ck_err *err)
{
	for (size_t i = 0; i < g->n_nodes; i++) {
		const Node *nd = g->nodes[i];
		for (size_t c = 0; c < nd->n_children; c++)
			if (bad_id(g, nd->children[c]->node_id))
				goto bad;
		for (size_t s = 0; s < nd->n_slot_variables; s++)
			if (bad_id(g, nd->slot_variables[s]->original_variable_node_id) ||
			    bad_id(g, nd->slot_variables[s]->slot_variable_node_id))
				goto bad;
	}
	return 0;
bad:
	return ck_error(err, CK_ECORRUPT, "object graph refers to a node that does not exist");
}

size_t objgraph_rename(objgraph *g,
		       int (*fn)(void *ctx, const uint8_t *key, size_t len, struct buf *out),
		       void *ctx)
{
	struct buf nk = BUF_INIT;
	size_t changed = 0;

	for (size_t i = 0; i < g->n_nodes; i++) {
		Node *nd = g->nodes[i];
		for (size_t a = 0; a < nd->n_attributes; a++) {
			ProtobufCBinaryData *k = &nd->attributes[a]->checkpoint_key;
			buf_reset(&nk);
			if (!fn(ctx, k->data, k->len, &nk))
				continue;
			/* Bytes fields come from the default allocator (malloc): replace in kind. */
			free(k->data);
			k->len = nk.len;
			k->data = xmemdup(nk.p, nk.len);
			changed++;
		}
	}
	buf_release(&nk);
	return changed;
}

/* has_checkpoint_values: true when the node or anything below it (children, slot variables)
 * holds attributes; iterated to a fixed point so that aliases and cycles terminate. */
static void recompute_has_values(objgraph *g)
{
	size_t n = g->n_nodes;
	char *has = xcalloc(n + 1, 1);
	int again = 1;

	for (size_t i = 0; i < n; i++)
		has[i] = g->nodes[i]->n_attributes > 0;
	while (again) {
		again = 0;
		for (size_t i = 0; i < n; i++) {
			const Node *nd = g->nodes[i];
			if (has[i])
				continue;
			for (size_t c = 0; c < nd->n_children && !has[i]; c++)
				has[i] = has[nd->children[c]->node_id];
			for (size_t s = 0; s < nd->n_slot_variables && !has[i]; s++)
				has[i] = has[nd->slot_variables[s]->slot_variable_node_id];
			again |= has[i];
		}
	}
	for (size_t i = 0; i < n; i++)
		if (g->nodes[i]->has_checkpoint_values)
			g->nodes[i]->has_checkpoint_values->value = has[i];
	free(has);
}

size_t objgraph_drop(objgraph *g, int (*keep)(void *ctx, const uint8_t *key, size_t len),
		     void *ctx)
{
	char *emptied = xcalloc(g->n_nodes + 1, 1);
	size_t removed = 0;

	for (size_t i = 0; i < g->n_nodes; i++) {
		Node *nd = g->nodes[i];
		size_t m = 0, before = nd->n_attributes;
		for (size_t a = 0; a < nd->n_attributes; a++) {
			Attr *at = nd->attributes[a];
			if (keep(ctx, at->checkpoint_key.data, at->checkpoint_key.len))
				nd->attributes[m++] = at;
			else
				protobuf_c_message_free_unpacked(&at->base, NULL);
		}
		nd->n_attributes = m;
		removed += before - m;
		emptied[i] = before && !m;
	}
	/* A reference to a slot without values would make restore look for them. */
	for (size_t i = 0; i < g->n_nodes; i++) {
		Node *nd = g->nodes[i];
		size_t m = 0;
		for (size_t s = 0; s < nd->n_slot_variables; s++) {
			Slot *sv = nd->slot_variables[s];
			if (emptied[sv->slot_variable_node_id])
				protobuf_c_message_free_unpacked(&sv->base, NULL);
			else
				nd->slot_variables[m++] = sv;
		}
		nd->n_slot_variables = m;
	}
	free(emptied);
	if (removed)
		recompute_has_values(g);
	return removed;
}

void objgraph_optimizer_keys(const objgraph *g,
			     void (*fn)(void *ctx, const uint8_t *key, size_t len), void *ctx)
{
	char *mark = xcalloc(g->n_nodes + 1, 1);
	size_t *stack = xcalloc(g->n_nodes + 1, sizeof(*stack)), top = 0;

	/* Everything below an optimizer: its hyperparameters, counters and slots. A model
	 * variable is never the optimizer's child, only the owner of a slot. */
	for (size_t i = 0; i < g->n_nodes; i++) {
		if (!g->nodes[i]->n_slot_variables || mark[i])
			continue;
		mark[i] = 1;
		stack[top++] = i;
		while (top) {
			const Node *nd = g->nodes[stack[--top]];
			for (size_t c = 0; c < nd->n_children; c++) {
				size_t id = (size_t)nd->children[c]->node_id;
				if (!mark[id]) {
					mark[id] = 1;
					stack[top++] = id;
				}
			}
			for (size_t s = 0; s < nd->n_slot_variables; s++) {
				size_t id = (size_t)nd->slot_variables[s]->slot_variable_node_id;
				if (!mark[id]) {
					mark[id] = 1;
					stack[top++] = id;
				}
			}
		}
	}
	for (size_t i = 0; i < g->n_nodes; i++)
		for (size_t a = 0; mark[i] && a < g->nodes[i]->n_attributes; a++)
			fn(ctx, g->nodes[i]->attributes[a]->checkpoint_key.data,
			   g->nodes[i]->attributes[a]->checkpoint_key.len);
	free(stack);
	free(mark);
}

objgraph *objgraph_combine(objgraph **in, const char *const *names, size_t n)
{
	objgraph *out = xmalloc(sizeof(*out));
	Node *root = xmalloc(sizeof(*root));
	size_t total = 1, at = 1;
	int any_has = 0;

	tensorflow__trackable_object_graph__init(out);
	tensorflow__trackable_object_graph__trackable_object__init(root);
	for (size_t i = 0; i < n; i++)
		total += in[i]->n_nodes;
	out->nodes = xcalloc(total, sizeof(*out->nodes));
	out->nodes[at - 1] = root;
	root->children = xcalloc(n + 1, sizeof(*root->children));
	for (size_t i = 0; i < n; i++) {
		int32_t base = (int32_t)at;
		Ref *r;
		if (!in[i]->n_nodes)
			continue;
		r = xmalloc(sizeof(*r));
		tensorflow__trackable_object_graph__trackable_object__object_reference__init(r);
		r->node_id = base;
		r->local_name.len = strlen(names[i]);
		r->local_name.data = xmemdup(names[i], r->local_name.len);
		root->children[root->n_children++] = r;
		for (size_t k = 0; k < in[i]->n_nodes; k++) {
			Node *nd = in[i]->nodes[k];
			for (size_t c = 0; c < nd->n_children; c++)
				nd->children[c]->node_id += base;
			for (size_t s = 0; s < nd->n_slot_variables; s++) {
				nd->slot_variables[s]->original_variable_node_id += base;
				nd->slot_variables[s]->slot_variable_node_id += base;
			}
			any_has |= nd->has_checkpoint_values != NULL;
			out->nodes[at++] = nd;
		}
		free(in[i]->nodes);
		in[i]->nodes = NULL;
		in[i]->n_nodes = 0;
	}
	out->n_nodes = at;
	if (any_has) {
		root->has_checkpoint_values = xmalloc(sizeof(*root->has_checkpoint_values));
		tensorflow__trackable_bool_value__init(root->has_checkpoint_values);
		recompute_has_values(out);
	}
	return out;
}

void objgraph_serialize(const objgraph *g, struct buf *out)
{
	size_t n = tensorflow__trackable_object_graph__get_packed_size(g);

	buf_grow(out, n);
	out->len += tensorflow__trackable_object_graph__pack(g, out->p + out->len);
}

static int cmp_name(const void *a, const void *b)
{
	const struct objgraph_name *x = a, *y = b;
	return key_cmp(x->key, x->key_len, y->key, y->key_len);
}

struct objgraph_name *objgraph_full_names(const objgraph *g, size_t *n)
{
	struct objgraph_name *v = NULL;
	size_t cap = 0, u = 0;

	*n = 0;
	for (size_t i = 0; g && i < g->n_nodes; i++)
		for (size_t k = 0; k < g->nodes[i]->n_attributes; k++) {
			const Tensorflow__TrackableObjectGraph__TrackableObject__SerializedTensor *a =
				g->nodes[i]->attributes[k];
			if (!a->full_name.len)
				continue;
			if (*n == cap) {
				cap = cap ? 2 * cap : 64;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[(*n)++] = (struct objgraph_name){ a->checkpoint_key.data, a->full_name.data,
							    a->checkpoint_key.len, a->full_name.len };
		}
	sort_array(v, *n, sizeof(*v), cmp_name);
	for (size_t i = 0; i < *n; i++)
		if (!u || cmp_name(&v[u - 1], &v[i]))
			v[u++] = v[i];
	*n = u;
	return v;
}

const struct objgraph_name *objgraph_full_name(const struct objgraph_name *v, size_t n,
					       const void *key, size_t len)
{
	struct objgraph_name probe = { key, NULL, len, 0 };
	return n ? bsearch(&probe, v, n, sizeof(*v), cmp_name) : NULL;
}
