/* The element-wise mean of N checkpoints (`ckpt average`), streamed: each float tensor is read
 * from all inputs a chunk at a time, summed in double precision, divided and rounded back to
 * its dtype, so memory is a few chunks whatever the model's size. */
#ifndef CKPT_AVERAGE_H
#define CKPT_AVERAGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"
#include "format/bundle.h"
#include "tensor/castconv.h"

struct avg_opts {
	int keep_optimizer;   /* average optimizer slots too (else they are left out) */
	int intersect;        /* average what every input has alike; else differences are errors */
	int flags;            /* bundle writer flags (BW_FORCE, BW_MKDIR, BW_VERIFY_DATA) */
	size_t chunk;         /* elements read from each input at a time, on one thread (0: the
				 default, with float32 tensors on two cores, runs of them as
				 one job) */
};

struct avg_result {
	size_t averaged;      /* float and complex tensors averaged (partitioned: counted once) */
	size_t copied;        /* other tensors, taken from the last input */
	size_t optimizer;     /* left out as optimizer state */
	size_t left_out;      /* left out for not being alike in every input (intersect) */
	int graph;            /* the TF2 object graph was carried over from the last input */
	size_t graph_dropped; /* keys of tensors left out, removed from that graph */
	uint64_t bytes;       /* tensor bytes written */
	struct buf diffs;     /* one '\n'-ended line per difference between the inputs (owned) */
	size_t ndiffs;
	struct cast_stats st; /* rounding of the means into their dtypes */
};

/* One stored payload (a regular tensor or one slice of a partitioned one) of one input. */
struct avg_src {
	struct bundle *b;
	const struct bundle_entry *e;
};

/* The element-wise mean of n stored payloads of one dtype (a float or complex type) and
 * element count, each read from its input CRC-checked, encoded as dtype to and appended to
 * shard 0 of w as an entry like src[n - 1].e (name, shape) with the new dtype and CRC.
 * n == 1 is a conversion. chunk: elements per read on this thread (0: 64 Ki, and float32
 * payloads of V2 inputs larger than CAST_CHUNK bytes on two cores, in chunks of that many
 * bytes: the same bits, about twice as fast; see average.c). Rounding is counted into st (may be NULL), bytes written added to
 * *bytes (may be NULL). Inputs and output keep the last input's byte order. */
struct bundle_writer;
int average_payload(struct bundle_writer *w, const struct avg_src *src, size_t n, int to,
		    size_t chunk, struct cast_stats *st, uint64_t *bytes, struct ck_err *err);

/* 1 for the dtypes that are averaged: the float formats and complex numbers. */
int average_dtype(int dtype);

/* Average the n open inputs (labels: how to name each in messages, e.g. the path typed) into
 * a new checkpoint at prefix out. Tensors are matched by name; the last input decides the
 * output's names and supplies every tensor that is not averaged. When the inputs differ
 * (names, dtypes, shapes or partitioning) and !o->intersect, nothing is written, r->diffs
 * lists the differences and the result is CK_EUSAGE. A TF2 object graph comes from the last
 * input, as it is, or without the keys of the tensors left out (optimizer state, --intersect)
 * so that TensorFlow does not look for them. The caller releases r with avg_result_release. */
int average_checkpoints(struct bundle *const *in, const char *const *labels, size_t n,
			const char *out, const struct avg_opts *o, struct avg_result *r,
			struct ck_err *err);
void avg_result_release(struct avg_result *r);

#endif
