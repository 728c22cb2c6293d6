/* graphkeys: the checkpoint_key of every attribute in a checkpoint's TF2 object graph, one a
 * line (names escaped as `list` shows them), for tests that check the graph stays consistent.
 *
 *   graphkeys PREFIX        exit 0; 1 when there is no graph; 2 on trouble
 */
#include <stdio.h>

#include "base/fmt.h"
#include "format/bundle.h"
#include "format/objgraph.h"

int main(int argc, char **argv)
{
	struct bundle *b = NULL;
	objgraph *g = NULL;
	struct ck_err err;
	struct buf line = BUF_INIT;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: graphkeys PREFIX\n");
		return 2;
	}
	if (bundle_open(&b, argv[1], &err) < 0) {
		fprintf(stderr, "graphkeys: %s\n", err.msg);
		return 2;
	}
	rc = objgraph_load(b, &g, &err);
	if (rc < 0) {
		fprintf(stderr, "graphkeys: %s\n", err.msg);
		bundle_free(b);
		return rc == CK_ENOTFOUND ? 1 : 2;
	}
	for (size_t i = 0; i < g->n_nodes; i++)
		for (size_t a = 0; a < g->nodes[i]->n_attributes; a++) {
			const ProtobufCBinaryData *k = &g->nodes[i]->attributes[a]->checkpoint_key;
			buf_reset(&line);
			name_escaped(&line, k->data, k->len);
			printf("%s\n", (const char *)line.p);
		}
	buf_release(&line);
	objgraph_free(g);
	bundle_free(b);
	return 0;
}
