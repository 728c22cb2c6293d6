/* Shared pieces of the transforming commands (see xform.h). */
#include "xform.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int namefilter_add(struct namefilter *f, const char *re, int exclude, struct ck_err *err)
{
	regex_t **arr = exclude ? &f->exc : &f->inc;
	size_t *n = exclude ? &f->nexc : &f->ninc;
	int rc;

	*arr = xreallocarray(*arr, *n + 1, sizeof(regex_t));
	rc = regcomp(&(*arr)[*n], re, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char msg[256];
		regerror(rc, &(*arr)[*n], msg, sizeof(msg));
		return ck_error(err, CK_EUSAGE, "bad regular expression '%s': %s", re, msg);
	}
	(*n)++;
	return 0;
}

static int any_match(const regex_t *re, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!regexec(&re[i], name, 0, NULL, 0))
			return 1;
	return 0;
}

int namefilter_included(const struct namefilter *f, const char *name)
{
	return any_match(f->inc, f->ninc, name);
}

int namefilter_excluded(const struct namefilter *f, const char *name)
{
	return any_match(f->exc, f->nexc, name);
}

int namefilter_match(const struct namefilter *f, const char *name)
{
	return (!f->ninc || namefilter_included(f, name)) && !namefilter_excluded(f, name);
}

void namefilter_release(struct namefilter *f)
{
	for (size_t i = 0; i < f->ninc; i++)
		regfree(&f->inc[i]);
	for (size_t i = 0; i < f->nexc; i++)
		regfree(&f->exc[i]);
	free(f->inc);
	free(f->exc);
	memset(f, 0, sizeof(*f));
}

/* Slot variables are named after the variable they belong to plus the optimizer's slot name
 * (TF1), or sit under the optimizer in the object graph (TF2 keys); both spellings occur. */
static const char *const optimizer_res[] = {
	"/\\.OPTIMIZER_SLOT/",
	"^optimizer/",
	"^training/(Adam|AdamW|Adamax|Nadam|SGD|RMSprop|Adagrad|Adadelta|Ftrl|Momentum|Lion|"
	"Adafactor|LossScaleOptimizer)/",
	"/(Adam|Adam_[0-9]+|adam_m|adam_v|AdamW(eightDecayOptimizer)?(_[0-9]+)?|Adamax(_[0-9]+)?|"
	"Nadam(_[0-9]+)?|Momentum|RMSProp(_[0-9]+)?|Adagrad|AdagradDA|ProximalAdagrad|"
	"Adadelta(_[0-9]+)?|Ftrl(_[0-9]+)?|LAMB(_[0-9]+)?)$",
	"(^|/)beta[12]_power(_[0-9]+)?$",
};
#define NOPT (sizeof(optimizer_res) / sizeof(optimizer_res[0]))

int is_optimizer_name(const char *name)
{
	static regex_t re[NOPT];
	static int ready;

	if (!ready) {
		for (size_t i = 0; i < NOPT; i++)
			if (regcomp(&re[i], optimizer_res[i], REG_EXTENDED | REG_NOSUB))
				abort();  /* the patterns above are constant */
		ready = 1;
	}
	for (size_t i = 0; i < NOPT; i++)
		if (!regexec(&re[i], name, 0, NULL, 0))
			return 1;
	return 0;
}

int xform_read_exact(struct tensor_stream *s, void *p, size_t n, struct ck_err *err)
{
	uint8_t *q = p;

	while (n) {
		long long got = tensor_stream_read(s, q, n, err);
		if (got < 0)
			return (int)got;
		if (!got)
			return ck_error(err, CK_ECORRUPT, "%s: tensor payload ends early", s->b->index_path);
		q += got;
		n -= (size_t)got;
	}
	return 0;
}

int xform_stream(struct bundle *b, const struct bundle_entry *e, void *chunk, size_t chunk_size,
		 int (*fn)(void *ctx, const void *p, size_t n, struct ck_err *err), void *ctx,
		 struct ck_err *err)
{
	struct tensor_stream s;
	long long got;
	int rc;

	rc = tensor_stream_open(&s, b, e, err);
	if (rc < 0)
		return rc;
	if (!e->size)  /* nothing to read: the stream still checks the CRC of no bytes */
		return (int)tensor_stream_read(&s, chunk, 0, err);
	while ((got = tensor_stream_read(&s, chunk, chunk_size, err)) > 0) {
		rc = fn(ctx, chunk, (size_t)got, err);
		if (rc < 0)
			return rc;
	}
	return (int)got;
}

struct copy_ctx {
	struct bundle_writer *w;
	int shard;
};

static int copy_piece(void *ctx, const void *p, size_t n, struct ck_err *err)
{
	struct copy_ctx *c = ctx;

	if (bundle_writer_write(c->w, c->shard, p, n))
		return bundle_writer_status(c->w, err);
	return 0;
}

int xform_copy(struct bundle_writer *w, int shard, struct bundle *b, const struct bundle_entry *e,
	       const void *name, size_t name_len, struct ck_err *err)
{
	struct bundle_entry out = *e;
	struct copy_ctx c = { w, shard };
	enum { CHUNK = 1 << 20 };
	void *chunk;
	int rc;

	out.name = (char *)name;
	out.name_len = name_len;
	if (e->nslices) {
		out.shard = 0;
		out.offset = out.size = 0;
		out.crc32c = 0;
		if (bundle_writer_add_entry(w, &out))
			return bundle_writer_status(w, err);
		return 0;
	}
	if (bundle_writer_begin(w, shard, &out.offset))
		return bundle_writer_status(w, err);
	out.shard = shard;
	chunk = xmalloc(CHUNK);
	rc = xform_stream(b, e, chunk, CHUNK, copy_piece, &c, err);
	free(chunk);
	if (rc < 0)
		return rc;
	if (bundle_writer_add_entry(w, &out))
		return bundle_writer_status(w, err);
	return 0;
}
