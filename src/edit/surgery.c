/* Checkpoint surgery shared by rename, subset and merge (see surgery.h). */
#include "edit/surgery.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/fmt.h"
#include "store/file.h"
#include "store/outfile.h"
#include "store/outguard.h"
#include "format/dtype.h"
#include "format/slicekey.h"
#include "format/table.h"
#include "tensor/npy.h"
#include "tensor/values.h"

/* ---- inputs ---- */

int surg_input_open(struct surg_input *in, const char *arg, struct ck_err *err)
{
	const struct bundle_entry *e;
	int rc;

	in->arg = arg;
	rc = ckpt_open(&in->b, arg, &in->where, err);
	if (rc < 0)
		return rc;
	e = bundle_find(in->b, OBJECT_GRAPH_KEY, sizeof(OBJECT_GRAPH_KEY) - 1);
	if (!e || e->dtype != DT_STRING || e->elements != 1 || e->nslices)
		return 0;
	in->graph_entry = e;
	rc = objgraph_load(in->b, &in->graph, err);
	/* A missing data file: names still work (dry runs); writing will fail on it. */
	if (rc == CK_ENOTFOUND)
		return 0;
	if (rc == 0)
		rc = objgraph_validate(in->graph, err);
	if (rc < 0)
		ck_wrap(err, "%s: tensor \"%s\"", in->b->index_path, OBJECT_GRAPH_KEY);
	return rc;
}

void surg_input_release(struct surg_input *in)
{
	objgraph_free(in->graph);
	bundle_free(in->b);
	ckpt_path_release(&in->where);
	in->graph = NULL;
	in->b = NULL;
}

/* ---- the plan ---- */

void surg_plan_init(struct surg_plan *p, struct surg_input *in, size_t nin)
{
	memset(p, 0, sizeof(*p));
	p->in = in;
	p->nin = nin;
}

void surg_plan_release(struct surg_plan *p)
{
	pool_release(&p->names);
	xfree_huge(p->items, p->cap * sizeof(*p->items));
	objgraph_free(p->graph);
	p->items = NULL;
	p->graph = NULL;
	p->n = p->cap = 0;
}

static void add_item(struct surg_plan *p, size_t input, const struct bundle_entry *e,
		     const void *name, size_t len)
{
	struct surg_item *it;

	if (p->n == p->cap) {  /* huge pages once large: a fault per 4 KiB showed in profiles */
		size_t cap = p->cap ? p->cap * 2 : 256;
		if (cap > SIZE_MAX / 2 / sizeof(*p->items))
			cap = SIZE_MAX / 2 / sizeof(*p->items);
		p->items = xrealloc_huge(p->items, p->cap * sizeof(*p->items), cap * sizeof(*p->items));
		p->cap = cap;
	}
	it = &p->items[p->n++];
	memset(it, 0, sizeof(*it));
	it->input = input;
	it->src = e;
	/* A name kept as it is borrows the input's (which outlives the plan): no copy. */
	it->name.p = name == e->name && len == e->name_len ? name : pool_copy(&p->names, name, len);
	it->name.len = len;
}

void surg_plan_add(struct surg_plan *p, size_t input, const struct bundle_entry *e,
		   const void *name, size_t len)
{
	struct bundle *b = p->in[input].b;
	struct buf old = BUF_INIT, neu = BUF_INIT;

	add_item(p, input, e, name, len);
	for (size_t s = 0; s < e->nslices; s++) {
		const int64_t *ext = e->slices + s * (size_t)e->rank * 2;
		const struct bundle_entry *se;
		buf_reset(&old);
		slice_key(&old, e->name, e->name_len, e->rank, ext);
		se = bundle_find(b, old.p, old.len);
		if (!se)
			continue;  /* missing in the input too: the output is no worse */
		buf_reset(&neu);
		slice_key(&neu, name, len, e->rank, ext);
		if (neu.len == se->name_len && !memcmp(neu.p, se->name, neu.len))
			add_item(p, input, se, se->name, se->name_len);  /* unchanged: borrowed */
		else
			add_item(p, input, se, neu.p, neu.len);
	}
	buf_release(&old);
	buf_release(&neu);
}

void surg_plan_graph(struct surg_plan *p, struct surg_input *in, int changed)
{
	if (changed) {
		p->graph = in->graph;
		in->graph = NULL;
	} else {
		surg_plan_add(p, 0, in->graph_entry, in->graph_entry->name,
			      in->graph_entry->name_len);
	}
}

static int cmp_item_name(const void *a, const void *b)
{
	const struct surg_item *x = a, *y = b;
	int c = key_cmp(x->name.p, x->name.len, y->name.p, y->name.len);
	if (c)
		return c;
	return x->input < y->input ? -1 : x->input > y->input;
}

void surg_collision_msg(void *ctx, const struct surg_item *items, size_t n)
{
	struct buf *msg = ctx;

	if (msg->len > 4000)
		return;
	buf_add(msg, "\n  ", 3);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_add(msg, ", ", 2);
		buf_addc(msg, '"');
		buf_add_name_msg(msg, items[i].src->name, items[i].src->name_len);
		buf_addc(msg, '"');
	}
	buf_add(msg, " -> \"", 5);
	buf_add_name_msg(msg, items[0].name.p, items[0].name.len);
	buf_addc(msg, '"');
}

size_t surg_plan_sort(struct surg_plan *p, void (*fn)(void *ctx, const struct surg_item *items,
							   size_t n), void *ctx)
{
	size_t groups = 0;

	/* Stable for equal names: input order decides ("first" and "last" need it). */
	sort_array(p->items, p->n, sizeof(*p->items), cmp_item_name);
	for (size_t i = 0; i < p->n;) {
		size_t j = i + 1;
		while (j < p->n && !key_cmp(p->items[i].name.p, p->items[i].name.len,
					    p->items[j].name.p, p->items[j].name.len))
			j++;
		if (j - i > 1) {
			groups++;
			if (fn)
				fn(ctx, &p->items[i], j - i);
		}
		i = j;
	}
	return groups;
}

uint64_t surg_plan_bytes(const struct surg_plan *p)
{
	uint64_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		if (!p->items[i].src->nslices)
			n += p->items[i].src->size;
	return n;
}

size_t surg_plan_tensors(const struct surg_plan *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += !p->items[i].src->is_slice;
	return n;
}

/* ---- output checks ---- */

int surg_check_output(char **out, struct surg_input *in, size_t nin, int force, struct ck_err *err)
{
	char *o = *out, *idx;
	struct ck_stat st, si;
	int rc = 0;

	for (size_t i = 0; i < nin; i++)
		outguard_add_bundle(in[i].b);  /* the writer refuses to replace any of their files */
	if (!*o)
		return ck_error(err, CK_EUSAGE, "the output prefix is empty");
	if (has_suffix(o, ".index") && strlen(o) > 6)
		o[strlen(o) - 6] = '\0';  /* the user named the index file: the prefix is meant */
	if (has_suffix(o, "/") || (ck_store_stat(o, &st, NULL) == 0 && st.kind == CK_STORE_FOLDER))
		return ck_error(err, CK_EUSAGE,
				"%s: is a folder; name the output checkpoint's prefix, e.g. %s%smodel.ckpt",
				o, o, has_suffix(o, "/") ? "" : "/");
	idx = bundle_index_path(o);
	if (ck_store_stat(idx, &st, NULL) == 0 && st.kind != CK_STORE_MISSING) {
		for (size_t i = 0; i < nin; i++) {
			if (ck_store_stat(in[i].b->index_path, &si, NULL) == 0 &&
			    si.kind != CK_STORE_MISSING && si.dev == st.dev && si.ino == st.ino) {
				rc = ck_error(err, CK_EUSAGE,
					      "%s: is the input checkpoint %s; write the result to a new prefix",
					      o, in[i].arg);
				goto out;
			}
		}
		if (!force)
			rc = ck_error(err, CK_EEXIST, "%s: already exists (use --force to replace it)", idx);
	}
out:
	free(idx);
	return rc;
}

/* ---- writing ---- */

/* The data files of one input, opened as the copy reaches them. */
struct src_files {
	struct ck_file **f;
	int n;
};

static int src_file(struct surg_input *in, struct src_files *f, int shard, struct ck_file **out,
		    struct ck_err *err)
{
	char *path;
	int rc;

	if (shard < 0 || shard >= f->n)
		return ck_error(err, CK_ECORRUPT, "%s: shard %d out of range", in->b->index_path, shard);
	if (f->f[shard]) {
		*out = f->f[shard];
		return 0;
	}
	path = bundle_shard_path(in->b, shard);
	rc = ck_file_open(path, &f->f[shard], err);
	if (rc < 0) {
		if (rc == CK_ENOTFOUND)
			ck_error(err, CK_ENOTFOUND,
				 "%s: data shard %d of %d is missing, its tensors cannot be copied",
				 path, shard + 1, in->b->num_shards);
		free(path);
		return rc;
	}
	ck_file_advise(f->f[shard], 0, 0);
	free(path);
	*out = f->f[shard];
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Copy order: by input, data file and offset, so that every input file is read forward and
 * neighbouring payloads merge into one copy. */
static const struct surg_plan *order_plan;

static int cmp_copy_items(const struct surg_item *x, const struct surg_item *y)
{
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if (x->src->shard != y->src->shard)
		return x->src->shard < y->src->shard ? -1 : 1;
	if (x->src->offset != y->src->offset)
		return x->src->offset < y->src->offset ? -1 : 1;
	return 0;
}

static int cmp_copy_order(const void *a, const void *b)
{
	int c = cmp_copy_items(&order_plan->items[*(const size_t *)a],
			       &order_plan->items[*(const size_t *)b]);
	if (c)
		return c;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* The copy order (indexes into p->items), or NULL when the name order is the copy order
 * already, as in checkpoints whose data was written in name order (TF's): no array of a
 * pointer per tensor to fill with fresh pages. Caller frees (xfree_huge, p->n + 1 of them). */
static size_t *copy_order(const struct surg_plan *p)
{
	size_t *order, *start, i = 1;

	while (i < p->n && cmp_copy_items(&p->items[i - 1], &p->items[i]) <= 0)
		i++;
	if (i >= p->n)
		return NULL;
	order = xmalloc_huge((p->n + 1) * sizeof(*order));
	/* By input first, keeping name order within one (a counting sort): a merge's inputs
	 * interleave by name, but each is mostly in data order already, which sort_array then
	 * takes in one pass instead of a qsort of every tensor. */
	start = xcalloc(p->nin + 1, sizeof(*start));
	for (i = 0; i < p->n; i++)
		start[p->items[i].input + 1]++;
	for (size_t k = 0; k < p->nin; k++)
		start[k + 1] += start[k];
	for (i = 0; i < p->n; i++)
		order[start[p->items[i].input]++] = i;
	order_plan = p;
	for (size_t k = 0, from = 0; k < p->nin; from = start[k++])
		sort_array(order + from, start[k] - from, sizeof(*order), cmp_copy_order);
	free(start);
	return order;
}

static struct surg_item *item_at(struct surg_plan *p, const size_t *order, size_t k)
{
	return &p->items[order ? order[k] : k];
}

#define COPY_AHEAD ((uint64_t)256 << 20)  /* queued copies a progress report runs ahead by */

struct run {
	int active;
	size_t input;
	int sshard, dshard;
	struct ck_file *f;
	uint64_t start, end;
	const char *name;
};

static int flush_run(struct bundle_writer *w, struct run *r, uint64_t *copied)
{
	int rc = 0;
	if (r->active && r->end > r->start) {
		rc = bundle_writer_copy_later(w, r->dshard, r->f, r->start, r->end - r->start, r->name);
		*copied += r->end - r->start;
	}
	r->active = 0;
	return rc;
}

/* A V1 input has no raw data file: its tensors are read (decoded to V2's layout) and written. */
static int copy_stream(struct bundle_writer *w, struct bundle *b, const struct bundle_entry *e,
		       int shard, uint32_t *crc, struct ck_err *err)
{
	struct tensor_stream ts;
	uint8_t *chunk = xmalloc(1u << 20);
	long long got;
	int rc = tensor_stream_open(&ts, b, e, err);

	while (rc == 0 && (got = tensor_stream_read(&ts, chunk, 1u << 20, err)) != 0) {
		if (got < 0)
			rc = (int)got;
		else
			rc = bundle_writer_write(w, shard, chunk, (size_t)got);
	}
	if (rc == 0 && e->size == 0)
		tensor_stream_read(&ts, chunk, 0, err);
	free(chunk);
	*crc = e->crc32c;  /* set by the V1 reader once the tensor has been read */
	return rc;
}

/* Adds the payload's stored size to *bytes: totals count the graph like any tensor. */
static int write_graph(struct bundle_writer *w, const objgraph *g, int shard, uint64_t *bytes)
{
	struct buf ser = BUF_INIT;
	const uint8_t *strs[1];
	size_t lens[1];
	int rc;

	objgraph_serialize(g, &ser);
	strs[0] = ser.p;
	lens[0] = ser.len;
	rc = bundle_writer_add_strings(w, OBJECT_GRAPH_KEY, sizeof(OBJECT_GRAPH_KEY) - 1, NULL, 0,
				       shard, strs, lens, 1);
	*bytes += bundle_strings_size(lens, 1);
	buf_release(&ser);
	return rc;
}

static void entry_as(struct bundle_entry *out, const struct surg_item *it)
{
	*out = *it->src;
	out->name = (char *)it->name.p;
	out->name_len = it->name.len;
	out->shard = it->shard;
	out->offset = it->offset;
	out->crc32c = it->crc32c;
}

/* The writer's view of the plan (bundle_writer_add_sorted): items are in name order. */
static void plan_entry(void *ctx, size_t i, struct bundle_entry *e)
{
	entry_as(e, &((const struct surg_plan *)ctx)->items[i]);
}

static int cmp_range(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0;
}

/* The byte ranges of data file shard that the plan's payloads use, sorted and merged: what a
 * copy of the file must hold (its unused tail and gaps are not copied). Caller frees. */
static uint64_t (*used_ranges(const struct surg_plan *p, int shard, size_t *n))[2]
{
	uint64_t (*r)[2] = xcalloc(p->n + 1, sizeof(*r));
	size_t k = 0;

	for (size_t i = 0; i < p->n; i++) {
		const struct bundle_entry *e = p->items[i].src;
		if (!e->nslices && e->shard == shard && e->size) {
			r[k][0] = e->offset;
			r[k][1] = e->offset + e->size;
			k++;
		}
	}
	sort_array(r, k, sizeof(*r), cmp_range);
	*n = 0;
	for (size_t i = 0; i < k; i++) {
		if (*n && r[i][0] <= r[*n - 1][1]) {
			if (r[i][1] > r[*n - 1][1])
				r[*n - 1][1] = r[i][1];
		} else {
			r[*n][0] = r[i][0];
			r[*n][1] = r[i][1];
			(*n)++;
		}
	}
	return r;
}

static int write_shared(struct bundle_writer *w, struct surg_plan *p, const struct surg_opts *o,
			struct surg_result *r, struct ck_err *err)
{
	struct bundle *b = p->in[0].b;
	int rc = 0;

	r->shared = 1;
	r->how = BW_SHARE_REFLINK;
	for (int i = 0; i < b->num_shards && rc == 0; i++) {
		char *path = bundle_shard_path(b, i);
		enum bw_share how;
		size_t nused;
		uint64_t (*used)[2] = used_ranges(p, i, &nused), bytes = 0;
		rc = bundle_writer_share(w, i, path, o->allow_link, (const uint64_t (*)[2])used,
					 nused, &how);
		for (size_t k = 0; k < nused; k++)
			bytes += used[k][1] - used[k][0];
		free(used);
		if (rc == 0 && how > r->how)
			r->how = how;  /* report the most expensive way used */
		if (rc == 0 && how == BW_SHARE_COPY)
			r->copied += bytes;
		free(path);
	}
	for (size_t i = 0; i < p->n && rc == 0; i++) {
		p->items[i].shard = p->items[i].src->shard;
		p->items[i].offset = p->items[i].src->offset;
		p->items[i].crc32c = p->items[i].src->crc32c;
		if (!p->items[i].src->nslices &&
		    p->items[i].src->offset + p->items[i].src->size >
			    bundle_writer_shard_length(w, p->items[i].shard)) {
			struct buf n = BUF_INIT;
			char *path = bundle_shard_path(b, p->items[i].shard);
			buf_add_name_msg(&n, p->items[i].src->name, p->items[i].src->name_len);
			rc = ck_error(err, CK_ECORRUPT,
				      "%s: tensor \"%s\" extends past the end of the file (truncated copy?)",
				      path, (const char *)n.p);
			free(path);
			buf_release(&n);
			return rc;
		}
	}
	/* A new object graph goes to a file of its own: the shared ones may be hard links. */
	if (rc == 0 && p->graph)
		rc = write_graph(w, p->graph, b->num_shards, &r->bytes);
	return rc;
}

/* The data files of every input, opened as the copy reaches them; they stay open until the
 * writer is done with them (its copies run on while the index is written). */
static struct src_files *src_files_new(const struct surg_plan *p)
{
	struct src_files *files = xcalloc(p->nin + 1, sizeof(*files));

	for (size_t i = 0; i < p->nin; i++) {
		files[i].n = p->in[i].b->num_shards;
		files[i].f = xcalloc((size_t)files[i].n + 1, sizeof(*files[i].f));
	}
	return files;
}

static void src_files_free(struct src_files *files, size_t nin)
{
	for (size_t i = 0; files && i < nin; i++) {
		for (int k = 0; k < files[i].n; k++)
			ck_file_close(files[i].f[k]);
		free(files[i].f);
	}
	free(files);
}

static int write_compact(struct bundle_writer *w, struct surg_plan *p, const size_t *order,
			 struct src_files *files, const struct surg_opts *o, struct surg_result *r,
			 struct ck_err *err)
{
	struct run run = { 0 };
	uint64_t total = surg_plan_bytes(p), done = 0;
	double last = now();
	int rc = 0;

	for (size_t k = 0; k < p->n && rc == 0; k++) {
		struct surg_item *it = item_at(p, order, k);
		const struct bundle_entry *e = it->src;
		struct surg_input *in = &p->in[it->input];
		struct ck_file *f = NULL;

		it->crc32c = e->crc32c;
		if (e->nslices)
			continue;
		if (in->b->format != 2) {
			rc = flush_run(w, &run, &r->copied);
			if (rc == 0)
				rc = copy_stream(w, in->b, e, it->shard, &it->crc32c, err);
			r->copied += e->size;
			continue;
		}
		if ((rc = src_file(in, &files[it->input], e->shard, &f, err)) < 0)
			break;
		if (e->offset > f->size || e->size > f->size - e->offset) {
			struct buf n = BUF_INIT;
			char *path = bundle_shard_path(in->b, e->shard);
			buf_add_name_msg(&n, e->name, e->name_len);
			rc = ck_error(err, CK_ECORRUPT,
				      "%s: tensor \"%s\" extends past the end of the file (truncated copy?)",
				      path, (const char *)n.p);
			free(path);
			buf_release(&n);
			break;
		}
		if (!(run.active && run.input == it->input && run.sshard == e->shard &&
		      run.end == e->offset && run.dshard == it->shard)) {
			rc = flush_run(w, &run, &r->copied);
			run = (struct run){ 1, it->input, e->shard, it->shard, f, e->offset, e->offset,
					    in->b->index_path };
		}
		run.end += e->size;
		done += e->size;
		if (o->progress && run.end - run.start >= (64u << 20)) {
			rc = rc ? rc : flush_run(w, &run, &r->copied);
			/* Reported bytes are queued ones: kept within a quarter second or so of
			 * the copy, which may still overlap the index by that much. */
			rc = rc ? rc : bundle_writer_wait(w, COPY_AHEAD);
			if (now() - last > 0.25) {
				o->progress(o->progress_ctx, done, total);
				last = now();
			}
		}
	}
	if (rc == 0)
		rc = flush_run(w, &run, &r->copied);
	if (rc == 0 && p->graph)
		rc = write_graph(w, p->graph, r->num_shards - 1, &r->bytes);
	if (o->progress && total)
		o->progress(o->progress_ctx, total, total);
	return rc;
}

/* Place payloads in output shards, in copy order: a new shard when the current one would pass
 * shard_size (or its share of the total when a shard count is asked). Returns the count. */
static int layout(struct surg_plan *p, const size_t *order, const struct surg_opts *o)
{
	uint64_t total = surg_plan_bytes(p), limit = o->shard_size, used = 0, off = 0;
	int shard = 0, max = o->nshards > 0 ? o->nshards : 99999;

	if (o->nshards > 1)
		limit = (total + (uint64_t)o->nshards - 1) / (uint64_t)o->nshards;
	for (size_t k = 0; k < p->n; k++) {
		struct surg_item *it = item_at(p, order, k);
		if (it->src->nslices) {
			it->shard = 0;
			it->offset = 0;
			continue;
		}
		if (limit && used && used + it->src->size > limit && shard + 1 < max) {
			shard++;
			used = 0;
			off = 0;
		}
		it->shard = shard;
		it->offset = off;
		off += it->src->size;
		used += it->src->size;
	}
	return o->nshards > shard + 1 ? o->nshards : shard + 1;
}

/* Tell the writer each shard's final size from the layout: its space can be had at once. */
static void expect_sizes(struct bundle_writer *w, const struct surg_plan *p, int nshards)
{
	uint64_t *end = xcalloc((size_t)nshards, sizeof(*end));

	for (size_t i = 0; i < p->n; i++) {
		const struct surg_item *it = &p->items[i];
		if (!it->src->nslices && it->shard >= 0 && it->shard < nshards &&
		    it->offset + it->src->size > end[it->shard])
			end[it->shard] = it->offset + it->src->size;
	}
	for (int i = 0; i < nshards; i++)
		bundle_writer_expect(w, i, end[i]);
	free(end);
}

int surg_write(struct surg_plan *p, const struct surg_opts *o, struct surg_result *r,
	       struct ck_err *err)
{
	struct bundle_writer *w = NULL;
	struct src_files *files = NULL;
	size_t *order = NULL;
	double t0 = now();
	int rc, flags = BW_MKDIR, big = p->nin ? p->in[0].b->big_endian : 0;

	memset(r, 0, sizeof(*r));
	for (size_t i = 1; i < p->nin; i++)
		if (p->in[i].b->big_endian != big)
			return ck_error(err, CK_EUNSUP, "%s and %s: cannot combine big- and little-endian "
					"checkpoints", p->in[0].arg, p->in[i].arg);
	if (o->force)
		flags |= BW_FORCE;
	if (o->verify_data)
		flags |= BW_VERIFY_DATA;
	if (o->no_sync)
		flags |= BW_NO_SYNC;
	if (o->share) {
		r->num_shards = p->in[0].b->num_shards + (p->graph ? 1 : 0);
		if (r->num_shards < 1)
			r->num_shards = 1;
	} else {
		order = copy_order(p);
		r->num_shards = layout(p, order, o);
	}
	rc = bundle_writer_open(&w, o->out, r->num_shards, flags, err);
	if (rc < 0)
		goto out;
	bundle_writer_set_big_endian(w, big);
	bundle_writer_add_sorted(w, p->n, plan_entry, p);
	if (!o->share) {
		files = src_files_new(p);
		expect_sizes(w, p, r->num_shards);
	}
	rc = o->share ? write_shared(w, p, o, r, err) : write_compact(w, p, order, files, o, r, err);
	if (rc < 0) {
		/* A failure inside the writer is kept there; ours is already in err. */
		bundle_writer_status(w, err);
		bundle_writer_abort(w);
		goto out;
	}
	rc = bundle_writer_finish(w, err);
	if (rc < 0)
		goto out;
	r->tensors = surg_plan_tensors(p) + (p->graph ? 1 : 0);
	for (size_t i = 0; i < p->nin; i++)
		r->from_v1 |= p->in[i].b->format == 1;
	r->bytes += surg_plan_bytes(p);  /* the new object graph's bytes are in already */
	/* The checkpoint is complete and stays: say so, the failure is only the state file's. */
	if (o->update_state && (rc = surg_update_state(o->out, err)) < 0)
		ck_wrap(err, "%s: checkpoint written, but the state file not updated", o->out);
	r->seconds = now() - t0;
out:
	src_files_free(files, p->nin);  /* after the writer: its copies read them */
	if (order)
		xfree_huge(order, (p->n + 1) * sizeof(*order));
	return rc;
}

/* ---- the state file ---- */

static void add_quoted(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addf(b, "\\%c", *p);
		else if (*p == '\n')
			buf_add(b, "\\n", 2);
		else if (*p < 0x20 || *p == 0x7f)
			buf_addf(b, "\\%03o", *p);
		else
			buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

/* The numbers of the timestamp fields, which ckpt_state does not keep. */
static void scan_numbers(const char *text, const char *field, struct buf *out, size_t *count)
{
	size_t fl = strlen(field);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *p = l + strspn(l, " \t");
		if (strncmp(p, field, fl) || p[fl] != ':')
			continue;
		p += fl + 1;
		p += strspn(p, " \t");
		size_t n = strcspn(p, " \t\r\n#");
		buf_add(out, p, n);
		buf_addc(out, '\n');
		(*count)++;
	}
}

int surg_update_state(const char *prefix, struct ck_err *err)
{
	const char *slash = strrchr(prefix, '/');
	char *dir = slash ? (slash == prefix ? xstrdup("/") : xmemdup(prefix, (size_t)(slash - prefix)))
			  : xstrdup(".");
	const char *base = slash ? slash + 1 : prefix;
	char *path = xasprintf("%s/checkpoint", dir), *abs = NULL;
	struct ckpt_state st = { 0 };
	struct buf text = BUF_INIT, out = BUF_INIT, stamps = BUF_INIT, preserved = BUF_INIT;
	size_t nstamps = 0, npres = 0, drop = (size_t)-1;
	struct ck_file *in = NULL;
	struct ck_outfile of = CK_OUTFILE_INIT;
	int rc = 0;

	/* Opened as an input: a FIFO named checkpoint would block a plain fopen forever. */
	rc = ck_file_open(path, &in, err);
	if (rc < 0 && rc != CK_ENOTFOUND)
		goto out;  /* the caller says the state file was not updated */
	rc = 0;
	if (in) {
		size_t want = in->size < (1u << 20) ? (size_t)in->size : (size_t)1 << 20;
		long long got;
		buf_grow(&text, want + 1);
		got = ck_file_pread(in, text.p, want, 0, err);
		ck_file_close(in);
		if (got < 0) {
			rc = (int)got;
			goto out;
		}
		text.len = (size_t)got;
		rc = ckpt_state_parse((const char *)text.p, text.len, &st, err);
		if (rc < 0) {
			ck_wrap(err, "%s", path);
			goto out;
		}
		buf_addc(&text, 0);  /* scan_numbers reads a C string */
		text.len--;
		scan_numbers((const char *)text.p, "all_model_checkpoint_timestamps", &stamps, &nstamps);
		scan_numbers((const char *)text.p, "last_preserved_timestamp", &preserved, &npres);
	}
	abs = xasprintf("%s/%s", dir, base);
	buf_add(&out, "model_checkpoint_path: ", 23);
	add_quoted(&out, base);
	buf_addc(&out, '\n');
	/* Keep the older checkpoints TF remembers, the new one last (once). */
	for (size_t i = 0; i < st.nall; i++) {
		const char *q = st.all_model_checkpoint_paths[i];
		if (!strcmp(q, base) || !strcmp(q, abs)) {
			drop = i;
			continue;
		}
		buf_add(&out, "all_model_checkpoint_paths: ", 28);
		add_quoted(&out, q);
		buf_addc(&out, '\n');
	}
	buf_add(&out, "all_model_checkpoint_paths: ", 28);
	add_quoted(&out, base);
	buf_addc(&out, '\n');
	if (nstamps && nstamps == st.nall) {
		/* Timestamps run parallel to the paths: keep them aligned. */
		const char *s = (const char *)stamps.p;
		for (size_t i = 0; i < nstamps; i++) {
			size_t n = strcspn(s, "\n");
			if (i != drop)
				buf_addf(&out, "all_model_checkpoint_timestamps: %.*s\n", (int)n, s);
			s += n + 1;
		}
		buf_addf(&out, "all_model_checkpoint_timestamps: %.6f\n", (double)time(NULL));
	}
	if (npres)
		buf_addf(&out, "last_preserved_timestamp: %s", (const char *)preserved.p);
	/* Replacing the old state file is the point: a forced rename. */
	rc = ck_outfile_create(&of, path, NULL, err);
	if (rc == 0)
		rc = ck_outfile_write(&of, out.p, out.len, err);
	if (rc == 0)
		rc = ck_outfile_commit(&of, CK_OUT_FORCE, err);
	ck_outfile_abort(&of);
out:
	free(abs);
	free(path);
	free(dir);
	ckpt_state_release(&st);
	buf_release(&text);
	buf_release(&out);
	buf_release(&stamps);
	buf_release(&preserved);
	return rc;
}

/* ---- signals ---- */

static void on_signal(int sig)
{
	bundle_writer_cleanup_signal();
	outfile_cleanup_signal();
	outlock_cleanup_signal();
	signal(sig, SIG_DFL);
	raise(sig);
}

void surg_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ---- command line ---- */

int surg_common_option(int c, const char *arg, struct surg_opts *o, struct surg_cli *cli)
{
	switch (c) {
	case 'o': free(cli->out); cli->out = xstrdup(arg); return 1;
	case 'f': o->force = 1; return 1;
	case 'n': cli->dry = 1; return 1;
	case SURG_OPT_VERIFY: o->verify_data = 1; return 1;
	case SURG_OPT_STATE: o->update_state = 1; return 1;
	case SURG_OPT_NO_SYNC: o->no_sync = 1; return 1;
	case SURG_OPT_JSON: cli->json = 1; return 1;
	}
	return 0;
}

/* ---- summaries ---- */

const char *surg_how_name(const struct surg_result *r)
{
	if (!r->shared)
		return "copy";
	return r->how == BW_SHARE_REFLINK ? "reflink" : r->how == BW_SHARE_LINK ? "hardlink" : "copy";
}

void surg_summary(struct buf *b, const char *out, const struct surg_result *r)
{
	char sz[32];

	buf_addf(b, "wrote %s%s: %zu tensor%s, %s in %.2f s", out,
		 r->from_v1 ? " (V2, from a V1 input)" : "", r->tensors, r->tensors == 1 ? "" : "s",
		 fmt_size(sz, r->bytes, 0), r->seconds);
}

cJSON *surg_summary_json(const char *out, const struct surg_result *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "output", out);
	json_add_u64(o, "tensors", r->tensors);
	json_add_u64(o, "bytes", r->bytes);
	json_add_u64(o, "bytes_copied", r->copied);
	json_add_i64(o, "num_shards", r->num_shards);
	if (r->from_v1)  /* the output is V2 whatever the input */
		cJSON_AddStringToObject(o, "input_format", "v1");
	cJSON_AddStringToObject(o, "data", surg_how_name(r));
	json_add_double(o, "seconds", r->seconds);
	return o;
}
