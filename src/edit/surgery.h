/* What `ckpt rename`, `subset` and `merge` share: opening inputs, a plan of output entries
 * (input entry -> output name), writing it through the bundle writer (compacting copy, or data
 * files shared whole with the input), and the `checkpoint` state file.
 *
 * Tensor payloads are never decoded: bytes are copied in the kernel and CRCs kept. */
#ifndef CKPT_SURGERY_H
#define CKPT_SURGERY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/err.h"
#include "base/pool.h"
#include "base/util.h"
#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "format/objgraph.h"
#include "format/path.h"

struct surg_input {
	const char *arg;                    /* as typed */
	const char *name_prefix;            /* merge --prefix, or NULL */
	struct bundle *b;
	struct ckpt_path where;             /* where.notes: lines for the CLI to show */
	const struct bundle_entry *graph_entry;  /* _CHECKPOINTABLE_OBJECT_GRAPH, or NULL */
	objgraph *graph;             /* parsed graph_entry (owned), or NULL */
};

/* Resolve and open arg (any path form `list` accepts) and parse its object graph. */
int surg_input_open(struct surg_input *in, const char *arg, struct ck_err *err);
void surg_input_release(struct surg_input *in);

struct surg_item {
	size_t input;
	const struct bundle_entry *src;     /* entry in inputs[input] (borrowed) */
	struct {
		const uint8_t *p;
		size_t len;
	} name;                             /* output name (in the plan's pool) */
	/* private: placement in the output, and the masked CRC to store */
	int shard;
	uint32_t crc32c;
	uint64_t offset;
};

struct surg_plan {
	struct surg_input *in;              /* borrowed */
	size_t nin;
	struct surg_item *items;
	size_t n, cap;
	struct pool names;                  /* the items' names: no malloc per item */
	objgraph *graph;             /* a new object graph to store (owned), or NULL */
};

void surg_plan_init(struct surg_plan *p, struct surg_input *in, size_t nin);
void surg_plan_release(struct surg_plan *p);
/* Add one full tensor under a new name; a partitioned tensor brings its stored slices, their
 * keys re-encoded under the new name. */
void surg_plan_add(struct surg_plan *p, size_t input, const struct bundle_entry *e,
		   const void *name, size_t len);
/* The input's TF2 object graph into p (input 0, which has one): rewritten (changed: p takes
 * in->graph, written anew at finish) or its entry copied as it is. */
void surg_plan_graph(struct surg_plan *p, struct surg_input *in, int changed);
/* A surg_plan_sort callback for a message (ctx: a struct buf): one line per group of tensors
 * that would get one name, `"a", "b" -> "c"`, names elided as messages elide them; stops adding
 * once the message is long. */
void surg_collision_msg(void *ctx, const struct surg_item *items, size_t n);
/* Sort items by output name. Returns the number of names held by more than one item; fn (if
 * not NULL) is called once per such group with the indexes of its items. */
size_t surg_plan_sort(struct surg_plan *p, void (*fn)(void *ctx, const struct surg_item *items,
							   size_t n), void *ctx);

/* Bytes of tensor data the plan holds (slices counted, partitioned parents not). */
uint64_t surg_plan_bytes(const struct surg_plan *p);
/* Tensors as `list` counts them (slices not counted). */
size_t surg_plan_tensors(const struct surg_plan *p);

struct surg_opts {
	const char *out;          /* output prefix */
	int force, verify_data, update_state;
	int no_sync;              /* BW_NO_SYNC */
	int share;                /* keep the input's data files whole (rename of one input) */
	int allow_link;           /* share: a hard link is acceptable */
	uint64_t shard_size;      /* compacting copy: start a new shard past this size (0: none) */
	int nshards;              /* compacting copy: this many shards (0: by shard_size) */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

/* Options every writing command takes: -o, -f, -n, --verify-data, --update-state, --no-sync,
 * --json, -h. */
enum { SURG_OPT_VERIFY = 0x1000, SURG_OPT_STATE, SURG_OPT_JSON, SURG_OPT_NO_SYNC };
#define SURG_COMMON_OPTIONS                                                  \
	{ "output", required_argument, NULL, 'o' },                          \
	{ "force", no_argument, NULL, 'f' },                                 \
	{ "dry-run", no_argument, NULL, 'n' },                               \
	{ "verify-data", no_argument, NULL, SURG_OPT_VERIFY },               \
	{ "update-state", no_argument, NULL, SURG_OPT_STATE },               \
	{ "no-sync", no_argument, NULL, SURG_OPT_NO_SYNC },                  \
	{ "json", no_argument, NULL, SURG_OPT_JSON },                        \
	{ "help", no_argument, NULL, 'h' }

struct surg_cli {
	char *out;      /* -o (owned) */
	int dry, json;
};

/* Record getopt's c (with its argument) if it is a common option: 1 if it was, 0 if not. */
int surg_common_option(int c, const char *arg, struct surg_opts *o, struct surg_cli *cli);

struct surg_result {
	size_t tensors;
	uint64_t bytes;           /* tensor bytes in the output */
	uint64_t copied;          /* bytes copied (0 when data files were shared) */
	int num_shards;
	int from_v1;              /* an input was a V1 table: the output is V2 all the same */
	int shared;               /* data files were shared: how says how */
	enum bw_share how;
	double seconds;
};

/* Write the plan (sorted by surg_plan_sort, without duplicates) to o->out. */
int surg_write(struct surg_plan *p, const struct surg_opts *o, struct surg_result *r,
	       struct ck_err *err);

/* Refuse an output prefix that names one of the inputs (same index file, by dev/ino too) or
 * an existing checkpoint without force; "out.index" given for the prefix is trimmed. Every
 * file of the inputs is registered with outguard, so that no writer replaces one. */
int surg_check_output(char **out, struct surg_input *in, size_t nin, int force, struct ck_err *err);

/* Write or update DIR/checkpoint so that TF's latest_checkpoint(DIR) names prefix (stored
 * relative to DIR), atomically. */
int surg_update_state(const char *prefix, struct ck_err *err);

/* Remove the temporary files of open writers (bundles, and .npy/.npz/safetensors outfiles)
 * on SIGINT, SIGTERM, SIGHUP, then die by it. */
void surg_signals(void);

/* The one-line summary "wrote OUT: N tensors, SIZE in T s" ("wrote OUT (V2, from a V1
 * input): ..." when an input was V1), appended to b, no newline; and the same as a JSON object
 * (caller frees). */
void surg_summary(struct buf *b, const char *out, const struct surg_result *r);
cJSON *surg_summary_json(const char *out, const struct surg_result *r);
const char *surg_how_name(const struct surg_result *r);

#endif
