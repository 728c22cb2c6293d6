/* Fuzz target: the TF2 object graph (objgraph.h). Input: a serialized TrackableObjectGraph, as
 * stored in _CHECKPOINTABLE_OBJECT_GRAPH. Node ids, cycles and slot references come straight
 * from the input; every node gets a path or NULL, and paths never exceed what the input can
 * spell (a guard against depth-quadratic growth is left to a size check here). */
#include <assert.h>

#include "format/objgraph.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	objgraph *g = tensorflow__trackable_object_graph__unpack(NULL, size, data);
	char **paths;

	if (!g)
		return 0;
	paths = objgraph_paths(g);
	assert(paths);
	if (g->n_nodes)
		assert(paths[0] && !paths[0][0]);  /* the root's path is empty */
	objgraph_paths_free(paths, g->n_nodes);
	objgraph_free(g);
	return 0;
}
