/* What a TF graph expects: the inputs, variables, signatures, saver and restore list of a
 * MetaGraphDef (.meta file, or each graph of a saved_model.pb; doc/FORMAT.md §2.5, §2.6, §11),
 * and the check of a checkpoint against that restore list.
 *
 * Everything returned is owned by the struct graph_file (strings may point into the parsed
 * protobufs it keeps); graph_free releases it all. */
#ifndef CKPT_GRAPH_H
#define CKPT_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "format/bundle.h"

/* A shape as a graph knows it: rank -1 = unknown rank, dims of -1 = unknown size. */
struct graph_shape {
	int rank;
	const int64_t *dims;
};

struct graph_input {
	char *tensor;             /* "x:0" */
	const char *op;           /* Placeholder, PlaceholderWithDefault */
	int dtype;
	struct graph_shape shape;
};

struct graph_var {
	const char *name;         /* node name */
	const char *op;           /* VariableV2, VarHandleOp, Variable */
	int dtype;                /* *_REF stripped */
	struct graph_shape shape;
	int trainable;            /* 1, 0, or -1 when the graph has no variable collections */
	/* Part of a partitioned variable (SaveSliceInfoDef): the checkpoint key of the whole
	 * and its full shape; NULL / rank 0 otherwise. */
	const uint8_t *full_name;
	size_t full_name_len;
	int full_rank;
	const int64_t *full_dims;
};

/* One tensor the graph's restore op asks the checkpoint for. */
struct graph_restore {
	const uint8_t *key;
	size_t key_len;
	int dtype;                /* -1 if the restore op does not say */
	struct graph_shape shape; /* full shape expected in the checkpoint; rank -1 unknown */
	const char *spec;         /* the shape_and_slices string ("" for a whole tensor) */
	const char *op;           /* the node reading it: "save/RestoreV2" */
	int saver;                /* index in graph_meta.savers; -1: a function's or a variable's */
};

/* The restore ops of a graph, grouped: one Saver each (the scope of its ops: "save",
 * "save_1"), and tf.train.init_from_checkpoint's "checkpoint_initializer" ops together. */
struct graph_saver {
	char *name;
	size_t nkeys;             /* distinct checkpoint keys its ops read */
	int initializer;          /* 1: checkpoint_initializer ops, which read another checkpoint */
	int selected;             /* its keys are graph_meta.restores */
};

/* Where graph_meta.restores comes from. */
enum graph_restore_from {
	GR_SAVER_DEF,     /* the saver the MetaGraphDef's saver_def names */
	GR_ONLY_SAVER,    /* no saver_def, one saver in the graph */
	GR_ALL_SAVERS,    /* no saver_def, several savers: all their keys (--saver picks one) */
	GR_CHOSEN,        /* the saver graph_select_saver chose */
	GR_FUNCTIONS,     /* the restore ops inside the functions of a TF2 graph */
	GR_VARIABLES,     /* no restore op: the variable names */
};

struct graph_tensor_info {
	const char *key;          /* the signature's name for it */
	const char *tensor;       /* "x:0" (or the values tensor of a sparse one) */
	int dtype;
	struct graph_shape shape;
};

struct graph_signature {
	const char *key;          /* "serving_default" */
	const char *method;
	struct graph_tensor_info *inputs, *outputs;
	size_t ninputs, noutputs;
};

struct graph_collection {
	const char *name;
	const char *kind;         /* node_list, bytes_list, int64_list, float_list, any_list */
	size_t size;
};

struct graph_op_count {
	const char *op;
	size_t count;
};

struct graph_node {
	const char *name, *op, *device;
	char **inputs;
	size_t ninputs;
};

struct graph_meta {
	const char *tf_version, *tf_git_version, *meta_graph_version;
	const char *const *tags;
	size_t ntags;
	int producer;             /* GraphDef.versions.producer; -1 when absent */
	struct graph_node *nodes;
	size_t nnodes;
	size_t nfunctions, nfunction_nodes;
	struct graph_input *inputs;
	size_t ninputs;
	struct graph_var *vars;
	size_t nvars;
	struct graph_signature *sigs;
	size_t nsigs;
	struct graph_collection *collections;
	size_t ncollections;
	struct graph_op_count *ops;     /* most frequent first */
	size_t nops;
	/* Saver (has_saver = 0 when the graph has none). */
	int has_saver, saver_version, saver_sharded, saver_max_to_keep;
	float saver_keep_hours;
	const char *saver_filename, *saver_save, *saver_restore;
	/* What a restore reads; from_restore_op = 0 when no restore op was found and the list
	 * was derived from the variables instead. */
	struct graph_restore *restores;
	size_t nrestores;
	int from_restore_op;
	enum graph_restore_from restore_from;
	struct graph_saver *savers;     /* by name */
	size_t nsavers;
	size_t nresource_inputs;        /* placeholders of dtype resource: left out of inputs */
	struct graph_restore *all_restores;  /* private: what every restore op reads */
	size_t nall_restores;
};

struct graph_file {
	char *path;               /* the file parsed */
	int saved_model;          /* 1: saved_model.pb, 0: a MetaGraphDef (.meta) */
	int64_t schema_version;
	struct graph_meta *metas;
	size_t nmetas;
	void *pb;                 /* private: the unpacked protobuf */
};

/* FILE as the user typed it: a .meta, a saved_model.pb, a SavedModel folder, or a checkpoint
 * (prefix, .index, folder with a state file...) whose .meta sits beside it. */
int graph_open(struct graph_file **out, const char *arg, struct ck_err *err);
void graph_free(struct graph_file *g);

/* Check against saver `name` (a graph_saver name: "save_1", "checkpoint_initializer") in
 * every graph of g that has it, instead of the default: CK_ENOTFOUND, naming the savers there
 * are, when none has it. */
int graph_select_saver(struct graph_file *g, const char *name, struct ck_err *err);

/* The TensorFlow version recorded in a .meta (MetaInfoDef.tensorflow_version), decoding
 * nothing else: 0 with the version in out, -1 if unreadable or not recorded. */
int graph_tf_version(const char *meta_path, char *out, size_t n);

/* The .meta name of a checkpoint prefix (doc/FORMAT.md §2.5: a V1 "-?????-of-N" suffix is
 * dropped); caller frees. */
char *graph_meta_path(const char *prefix);

/* Compare what meta restores with checkpoint b: names, dtypes and shapes from the index, and
 * whether each data shard exists and is long enough for its payloads (stat only). */
enum graph_problem_kind { GP_MISSING, GP_DTYPE, GP_SHAPE, GP_UNUSED };
struct graph_problem {
	enum graph_problem_kind kind;
	const struct graph_restore *want;       /* NULL for GP_UNUSED */
	const struct bundle_entry *have;        /* NULL for GP_MISSING */
};
/* A data shard that is missing or shorter than the payloads the index places in it (found by
 * stat alone: no data is read, so a corrupt payload is not found here). */
struct graph_shard_problem {
	int shard;
	int missing;            /* 1: no such file (or not a regular file); 0: too short */
	uint64_t size, needed;  /* the file's size; where the last payload in it ends */
	size_t ntensors;        /* index entries stored in it */
	size_t nrestored;       /* of those, ones the graph restores: a restore fails if > 0 */
};
struct graph_check {
	struct graph_problem *problems;  /* missing, dtype, shape, then unused; each by key */
	size_t nproblems;
	size_t nfailing;                 /* problems that make a restore fail (not GP_UNUSED) */
	size_t nrestored;                /* keys found with matching dtype and shape */
	int nshards;                     /* data shards checked (stat only) */
	struct graph_shard_problem *shards;
	size_t nshard_problems;
	size_t nshard_failing;           /* shard problems that hold restored tensors */
};
void graph_check_run(const struct graph_meta *m, const struct bundle *b, struct graph_check *c);
void graph_check_release(struct graph_check *c);

/* "[?,784]" / "?" (unknown rank) appended to out. */
void graph_shape_format(struct buf *out, struct graph_shape s);

#endif
