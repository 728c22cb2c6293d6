/* The two sides of `ckpt match` as lists of names with dtypes and shapes (match.h): a
 * checkpoint's tensors (with the full names its TF2 object graph records), and a target read
 * from another checkpoint, a SavedModel's variables, a .meta or saved_model.pb graph (the keys
 * its restore op reads), a .safetensors header, or a names file. */
#ifndef CKPT_MATCHSET_H
#define CKPT_MATCHSET_H

#include <stddef.h>

#include "base/err.h"
#include "format/graph.h"
#include "tensor/safetensors.h"
#include "edit/match.h"
#include "edit/surgery.h"

enum matchset_kind { MS_CHECKPOINT, MS_GRAPH, MS_SAFETENSORS, MS_NAMES };

struct matchset {
	enum matchset_kind kind;
	char *path;                         /* the file or checkpoint read (owned) */
	struct match_item *items;
	size_t n;
	const struct bundle_entry **entries;  /* MS_CHECKPOINT: the entry of each item */
	struct surg_input *in;              /* MS_CHECKPOINT: the checkpoint (borrowed or own) */
	/* private: what the items point into */
	struct surg_input own;
	int owns_in;
	struct graph_file *g;
	struct st_file *st;
	struct buf text;
	void **blocks;
	size_t nblocks;
};

/* Items from an open checkpoint (borrowed: it must outlive m): every tensor but slices and the
 * object graph itself, with the full names of its object graph when it has one. */
void matchset_from_input(struct matchset *m, struct surg_input *in);

/* Items from a graph's restore keys (borrowed: g must outlive m), one per key. */
void matchset_from_graph(struct matchset *m, const struct graph_meta *g);

/* Open arg as a target, its kind told by its name and contents: X.safetensors; X.meta, a
 * saved_model.pb, or a SavedModel folder (its variables checkpoint when it has one); a file
 * that is no checkpoint part: a names file (lines "name [dtype] [shape]", '#' comments, or
 * the JSON of `ckpt list --json`, or a JSON array of names); else a checkpoint in any form
 * `ckpt list` takes. */
int matchset_open_target(struct matchset *m, const char *arg, struct ck_err *err);

/* "checkpoint", "graph", "safetensors", "names". */
const char *matchset_kind_name(enum matchset_kind k);

void matchset_release(struct matchset *m);

/* Parse a names file's bytes (exposed for tests). */
int matchset_parse_names(struct matchset *m, const char *path, const char *text, size_t n,
			 struct ck_err *err);

#endif
