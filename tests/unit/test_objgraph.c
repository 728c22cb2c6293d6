/* objgraph editing: rename keys, drop attributes and slots, optimizer keys, combine graphs,
 * serialise and parse back. */
#include <stdlib.h>
#include <string.h>

#include "format/objgraph.h"
#include "tap.h"

typedef Tensorflow__TrackableObjectGraph__TrackableObject Node;
typedef Tensorflow__TrackableObjectGraph__TrackableObject__ObjectReference Ref;
typedef Tensorflow__TrackableObjectGraph__TrackableObject__SerializedTensor Attr;
typedef Tensorflow__TrackableObjectGraph__TrackableObject__SlotVariableReference Slot;

static ProtobufCBinaryData bin(const char *s)
{
	ProtobufCBinaryData b = { strlen(s), (uint8_t *)xstrdup(s) };
	return b;
}

static Node *new_node(void)
{
	Node *n = xmalloc(sizeof(*n));
	tensorflow__trackable_object_graph__trackable_object__init(n);
	n->has_checkpoint_values = xmalloc(sizeof(*n->has_checkpoint_values));
	tensorflow__trackable_bool_value__init(n->has_checkpoint_values);
	return n;
}

static Node *node(objgraph *g)
{
	Node *n = new_node();
	g->nodes = xreallocarray(g->nodes, g->n_nodes + 1, sizeof(Node *));
	g->nodes[g->n_nodes++] = n;
	return n;
}

static void child(Node *n, int id, const char *name)
{
	Ref *r = xmalloc(sizeof(*r));
	tensorflow__trackable_object_graph__trackable_object__object_reference__init(r);
	r->node_id = id;
	r->local_name = bin(name);
	n->children = xreallocarray(n->children, n->n_children + 1, sizeof(Ref *));
	n->children[n->n_children++] = r;
}

static void attr(Node *n, const char *key)
{
	Attr *a = xmalloc(sizeof(*a));
	tensorflow__trackable_object_graph__trackable_object__serialized_tensor__init(a);
	a->name = bin("VARIABLE_VALUE");
	a->checkpoint_key = bin(key);
	n->attributes = xreallocarray(n->attributes, n->n_attributes + 1, sizeof(Attr *));
	n->attributes[n->n_attributes++] = a;
}

/* root -(model)-> 1 -(kernel)-> 2 [model/kernel/...]; root -(optimizer)-> 3 -(iter)-> 4;
 * optimizer slot "m" of node 2 is node 5. */
static objgraph *sample(void)
{
	objgraph *g = xmalloc(sizeof(*g));
	Node *n[6];
	Slot *s = xmalloc(sizeof(*s));

	tensorflow__trackable_object_graph__init(g);
	for (int i = 0; i < 6; i++)
		n[i] = node(g);
	child(n[0], 1, "model");
	child(n[0], 3, "optimizer");
	child(n[1], 2, "kernel");
	child(n[3], 4, "iter");
	attr(n[2], "model/kernel/.ATTRIBUTES/VARIABLE_VALUE");
	attr(n[4], "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE");
	attr(n[5], "model/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE");
	tensorflow__trackable_object_graph__trackable_object__slot_variable_reference__init(s);
	s->original_variable_node_id = 2;
	s->slot_name = bin("m");
	s->slot_variable_node_id = 5;
	n[3]->slot_variables = xmalloc(sizeof(Slot *));
	n[3]->slot_variables[0] = s;
	n[3]->n_slot_variables = 1;
	return g;
}

static objgraph *reparse(objgraph *g)
{
	struct buf b = BUF_INIT;
	objgraph *r;

	objgraph_serialize(g, &b);
	objgraph_free(g);
	r = tensorflow__trackable_object_graph__unpack(NULL, b.len, b.p);
	buf_release(&b);
	return r;
}

static int rename_model(void *ctx, const uint8_t *key, size_t len, struct buf *out)
{
	if (len < 6 || memcmp(key, "model/", 6))
		return 0;
	buf_add(out, "net/", 4);
	buf_add(out, key + 6, len - 6);
	return 1;
}

static int keep_no_slots(void *ctx, const uint8_t *key, size_t len)
{
	return !memmem(key, len, ".OPTIMIZER_SLOT", 15);
}

static void collect(void *ctx, const uint8_t *key, size_t len)
{
	struct buf *b = ctx;
	buf_add(b, key, len);
	buf_addc(b, ';');
}

/* Bytes fields are not NUL-terminated. */
static int key_is(const objgraph *g, size_t node, size_t a, const char *want)
{
	const ProtobufCBinaryData *k = &g->nodes[node]->attributes[a]->checkpoint_key;
	return k->len == strlen(want) && !memcmp(k->data, want, k->len);
}

int main(void)
{
	struct ck_err err;
	struct buf keys = BUF_INIT;
	objgraph *g = reparse(sample()), *h, *parts[2], *c;
	const char *names[2] = { "enc", "dec" };
	char **paths;

	ok(g && g->n_nodes == 6, "a built graph serialises and parses back");
	is_int(objgraph_validate(g, &err), 0, "valid node ids pass");

	is_int(objgraph_rename(g, rename_model, NULL), 2, "rename touches the two model keys");
	g = reparse(g);
	ok(key_is(g, 2, 0, "net/kernel/.ATTRIBUTES/VARIABLE_VALUE"), "variable key renamed");
	ok(key_is(g, 5, 0, "net/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE"),
	   "slot key renamed");
	ok(key_is(g, 4, 0, "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE"), "others kept");

	objgraph_optimizer_keys(g, collect, &keys);
	ok(keys.p && strstr((char *)keys.p, "optimizer/iter/") && strstr((char *)keys.p, "OPTIMIZER_SLOT") &&
	   !strstr((char *)keys.p, "net/kernel/.ATTRIBUTES"), "optimizer keys: iter and slot, not the variable");

	is_int(objgraph_drop(g, keep_no_slots, NULL), 1, "drop removes the slot attribute");
	is_int(g->nodes[3]->n_slot_variables, 0, "and the slot reference to the emptied node");
	ok(!g->nodes[5]->has_checkpoint_values->value, "emptied slot node has no values");
	ok(g->nodes[3]->has_checkpoint_values->value, "optimizer still has values (iter)");
	ok(g->nodes[0]->has_checkpoint_values->value, "root has values");
	g = reparse(g);
	is_int(g->nodes[5]->n_attributes, 0, "drop survives serialisation");

	parts[0] = g;
	parts[1] = reparse(sample());
	h = parts[1];
	c = objgraph_combine(parts, names, 2);
	is_int(c->n_nodes, 13, "combined: new root + 6 + 6 nodes");
	is_int(c->nodes[0]->n_children, 2, "new root has one child per input");
	is_int(c->nodes[0]->children[1]->node_id, 7, "second input's root is node 7");
	is_int(c->nodes[7 + 3]->slot_variables[0]->slot_variable_node_id, 12, "slot ids shifted");
	is_int(h->n_nodes, 0, "inputs are emptied");
	c = reparse(c);
	is_int(objgraph_validate(c, &err), 0, "combined graph is valid");
	paths = objgraph_paths(c);
	ok(paths[2 + 1] && !strcmp(paths[3], "enc/model/kernel"), "paths go through the new child names");
	ok(paths[12] && !strcmp(paths[12], "dec/model/kernel/.OPTIMIZER_SLOT/dec/optimizer/m"),
	   "slot path under the second child");
	objgraph_paths_free(paths, c->n_nodes);

	c->nodes[1]->children[0]->node_id = 99;
	ok(objgraph_validate(c, &err) == CK_ECORRUPT, "an out-of-range child id is rejected");
	c->nodes[1]->children[0]->node_id = 2;
	c->nodes[10]->slot_variables[0]->slot_variable_node_id = -1;
	ok(objgraph_validate(c, &err) == CK_ECORRUPT, "an out-of-range slot id is rejected");
	c->nodes[10]->slot_variables[0]->slot_variable_node_id = 12;

	/* A chain of 100 000 nodes named 16 bytes each would have 80 GB of paths: the budget
	 * keeps the shallow ones and leaves the deepest NULL. */
	{
		objgraph *chain = xmalloc(sizeof(*chain));
		size_t depth = 100000, kept = 0;
		tensorflow__trackable_object_graph__init(chain);
		/* The array at once: growing it a node at a time is quadratic under ASan. */
		chain->nodes = xreallocarray(NULL, depth, sizeof(Node *));
		for (size_t i = 0; i < depth; i++)
			chain->nodes[chain->n_nodes++] = new_node();
		for (size_t i = 0; i + 1 < depth; i++)
			child(chain->nodes[i], (int)i + 1, "sixteen-bytes-xx");
		paths = objgraph_paths(chain);
		while (kept < depth && paths[kept])
			kept++;
		ok(kept > 1000 && kept < depth && !paths[depth - 1],
		   "paths of a deep chain stop at the memory budget");
		objgraph_paths_free(paths, chain->n_nodes);
		objgraph_free(chain);
	}

	objgraph_free(c);
	objgraph_free(h);
	objgraph_free(g == parts[0] ? NULL : g);
	objgraph_free(parts[0]);
	buf_release(&keys);
	return tap_done();
}
