/* The TF2 object graph (doc/FORMAT.md §8): the TrackableObjectGraph stored as the one string
 * element of the _CHECKPOINTABLE_OBJECT_GRAPH tensor, and the paths of its nodes. */
#ifndef CKPT_OBJGRAPH_H
#define CKPT_OBJGRAPH_H

#include "base/err.h"
#include "format/bundle.h"
#include "trackable_object_graph.pb-c.h"

typedef Tensorflow__TrackableObjectGraph objgraph;

/* Read, CRC-check and decode the graph. CK_ENOTFOUND if the checkpoint has none (a TF1
 * name-based checkpoint). The caller frees *g with objgraph_free. */
int objgraph_load(struct bundle *b, objgraph **g, struct ck_err *err);
void objgraph_free(objgraph *g);

/* Each node's object path: local names escaped ('.' -> "..", '/' -> ".S") and joined by '/'
 * along the first breadth-first route from node 0; slot variables, which no child edge
 * reaches, get "<variable path>/.OPTIMIZER_SLOT/<optimizer path>/<slot name>"; nodes reached
 * by neither are NULL. So are the deepest ones when the paths of a hostile graph (a chain of
 * a million nodes) would take more than PATHS_BUDGET plus 256 bytes per node.
 * An array of g->n_nodes strings; free with objgraph_paths_free. */
char **objgraph_paths(const objgraph *g);
void objgraph_paths_free(char **paths, size_t n);

/* A checkpoint key and the full variable name the graph records for it ("dense/kernel" for
 * "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"); both borrowed from the graph. */
struct objgraph_name {
	const uint8_t *key, *full;
	size_t key_len, full_len;
};

/* Every attribute with a full name, sorted by key, each key
 * once (a hostile graph's key recorded twice: one of them). The
 * caller frees the array (free); *n is its length. */
struct objgraph_name *objgraph_full_names(const objgraph *g, size_t *n);

/* The entry of key in v[0..n) (from objgraph_full_names), or NULL. */
const struct objgraph_name *objgraph_full_name(const struct objgraph_name *v, size_t n,
					       const void *key, size_t len);

/* ---- editing, for rename / subset / merge (doc/FORMAT.md §8.3) ---- */

/* Check that every node id in children and slot references lies inside the graph (the
 * editing functions below rely on it). CK_ECORRUPT otherwise. */
int objgraph_validate(const objgraph *g, struct ck_err *err);

/* Rewrite keys: fn returns 1 and fills out with the new key, or 0 to keep it. Returns the
 * number of attributes changed. */
size_t objgraph_rename(objgraph *g,
		       int (*fn)(void *ctx, const uint8_t *key, size_t len, struct buf *out),
		       void *ctx);

/* Remove every attribute whose key keep() rejects, and every slot-variable reference whose
 * slot node lost all its attributes this way; has_checkpoint_values (where present) is
 * recomputed. Returns the number of attributes removed. */
size_t objgraph_drop(objgraph *g, int (*keep)(void *ctx, const uint8_t *key, size_t len),
		     void *ctx);

/* Optimizer state: calls fn for every key held by a node reachable from an optimizer (a
 * node with slot_variables), the slots included. */
void objgraph_optimizer_keys(const objgraph *g,
			     void (*fn)(void *ctx, const uint8_t *key, size_t len), void *ctx);

/* A new graph whose root has one child per input graph, named names[i] (a raw local name).
 * The inputs' nodes move into it (the inputs are left empty); free it with objgraph_free. */
objgraph *objgraph_combine(objgraph **in, const char *const *names, size_t n);

/* Serialise (appended to out). */
void objgraph_serialize(const objgraph *g, struct buf *out);

#endif
