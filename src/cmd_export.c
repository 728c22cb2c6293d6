/* ckpt export: the tensors of a checkpoint as a NumPy .npz archive or a safetensors file. */
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "bundle.h"
#include "cli.h"
#include "cmds.h"
#include "convert.h"
#include "dtype.h"
#include "npy.h"
#include "npz.h"
#include "outguard.h"
#include "output.h"
#include "path.h"
#include "safetensors.h"
#include "surgery.h"
#include "totals.h"
#include "xform.h"

const char cmd_export_usage[] =
"usage: ckpt export (--npz FILE | --safetensors FILE) [-f] [-z] [--include REGEX]...\n"
"                   [--exclude REGEX]... [--json] PATH\n"
"\n"
"Write the tensors of the checkpoint PATH, under their checkpoint names, to a NumPy .npz\n"
"archive (numpy.load(FILE)[\"dense/kernel\"]) or a safetensors file\n"
"(safetensors.numpy.load_file, safetensors.torch.load_file). Partitioned tensors are\n"
"written whole. Data is streamed and checked against its CRC as it is read; the output is\n"
"written under a temporary name and renamed into place when complete.\n"
"\n"
".npz: NumPy has no bfloat16 or float8, so those tensors are widened to float32 (exactly);\n"
"string tensors become fixed-width byte strings ('|S'), whose elements lose trailing NUL\n"
"bytes (except the TF2 object graph: 'ckpt import' reads it back whole). safetensors keeps\n"
"bfloat16 and float8 (e5m2, e4m3fn) as they are, and has no string or complex types: such\n"
"tensors are left out with a note. Quantized and 4-bit integers are written as the plain\n"
"integers they are stored as.\n"
"\n"
".npz member names are plain relative paths: '%', '\\', control bytes, bytes that are not\n"
"UTF-8, a '.' beginning a component and a '/' making an empty one are written as %XX\n"
"('../x' becomes '%2E./x.npy'; 'ckpt import' decodes them). A name whose member name would\n"
"pass the 65535 bytes a zip name holds is refused, never cut short.\n"
"\n"
"Options:\n"
"      --npz FILE          write a .npz archive (members 'NAME.npy')\n"
"      --safetensors FILE  write a safetensors file\n"
"                          (FILE's folder is created if missing)\n"
"  -f, --force             replace FILE if it exists\n"
"  -z, --compress          deflate the .npz members (as numpy.savez_compressed)\n"
"  -i, --include REGEX     export only names matching REGEX (POSIX ERE; repeatable)\n"
"  -x, --exclude REGEX     leave out names matching REGEX (repeatable)\n"
"      --json              print the summary as JSON\n"
"  -h, --help              show this help\n"
"\n"
"'ckpt import' reads both formats back into a checkpoint.\n"
"Exit status: 0 success, 2 trouble.\n";

enum { OPT_NPZ = 256, OPT_ST, OPT_JSON };
enum how { X_RAW, X_WIDEN, X_STRINGS };

#define CHUNK_BYTES (1u << 20)

/* One tensor to write, and the state of streaming it. */
struct xtensor {
	struct bundle *b;
	const struct bundle_entry *e;
	int out_dtype;        /* dtype of the written elements (DT_STRING for '|S') */
	enum how how;
	size_t width;         /* X_STRINGS: bytes per element */
	struct buf head;      /* .npy header (npz only) */
	uint64_t size;        /* bytes written for this tensor, header included */
	/* streaming */
	uint64_t next;        /* next element */
	struct tensor_stream ts;
	struct strtab strs;
	struct buf pend;      /* produced, not yet delivered */
	size_t pend_off;
	uint8_t *raw;
	double *dbl;
};

static int x_open(void *ctx, struct ck_err *err)
{
	struct xtensor *t = ctx;
	int rc = 0;

	t->next = 0;
	t->pend_off = 0;
	buf_reset(&t->pend);
	buf_add(&t->pend, t->head.p, t->head.len);
	if (t->how == X_STRINGS)
		return tensor_strings(t->b, t->e, &t->strs, err);
	if (t->e->nslices)  /* read by position below: check every slice's CRC first */
		rc = tensor_verify(t->b, t->e, err);
	else
		rc = tensor_stream_open(&t->ts, t->b, t->e, err);
	if (rc < 0)
		return rc;
	t->raw = xmalloc(CHUNK_BYTES);
	if (t->how == X_WIDEN)
		t->dbl = xmalloc(CHUNK_BYTES * sizeof(double));
	return 0;
}

static void x_close(void *ctx)
{
	struct xtensor *t = ctx;

	strtab_release(&t->strs);
	free(t->raw);
	free(t->dbl);
	t->raw = NULL;
	t->dbl = NULL;
	buf_release(&t->pend);
}

static int read_stored(struct xtensor *t, uint8_t *p, size_t m, struct ck_err *err)
{
	if (t->e->nslices)
		return tensor_read_range(t->b, t->e, t->next, m, p, err);
	return xform_read_exact(&t->ts, p, m * (size_t)dtype_info(t->e->dtype)->size, err);
}

/* The next piece of the tensor's bytes, as written, into t->pend. */
static int produce(struct xtensor *t, struct ck_err *err)
{
	uint64_t left = t->e->elements - t->next;
	size_t esize, m;
	int rc;

	buf_reset(&t->pend);
	t->pend_off = 0;
	if (!left)
		return 0;
	if (t->how == X_STRINGS) {
		for (; t->next < t->e->elements && t->pend.len < CHUNK_BYTES; t->next++) {
			size_t len = t->strs.len[t->next];
			buf_add(&t->pend, t->strs.p[t->next], len);
			for (; len < t->width; len++)
				buf_addc(&t->pend, 0);
		}
		return 0;
	}
	esize = (size_t)dtype_info(t->e->dtype)->size;
	m = (size_t)(left < CHUNK_BYTES / 4 / esize ? left : CHUNK_BYTES / 4 / esize);
	if (!m)
		m = 1;
	rc = read_stored(t, t->raw, m, err);
	if (rc < 0)
		return rc;
	if (t->b->big_endian)
		swap_elements(t->e->dtype, t->raw, m);
	if (t->how == X_WIDEN) {  /* bfloat16 / float8 -> float32: every value is exact */
		elements_to_double(t->e->dtype, t->raw, m, t->dbl);
		buf_grow(&t->pend, m * 4);
		for (size_t k = 0; k < m; k++) {
			float f = (float)t->dbl[k];
			uint32_t bits;
			memcpy(&bits, &f, 4);
			put_fixed32(&t->pend, bits);
		}
	} else {
		buf_add(&t->pend, t->raw, m * esize);
	}
	t->next += m;
	return 0;
}

static long long x_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	struct xtensor *t = ctx;
	size_t have;

	if (t->pend_off == t->pend.len) {
		int rc = produce(t, err);
		if (rc < 0)
			return rc;
	}
	have = t->pend.len - t->pend_off;
	if (n > have)
		n = have;
	memcpy(p, t->pend.p + t->pend_off, n);
	t->pend_off += n;
	return (long long)n;
}

static int valid_utf8(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		int k = utf8_seq_len((const uint8_t *)s + i, n - i);
		if (!k)
			return 0;
		i += (size_t)k;
	}
	return 1;
}

/* Counts of tensors whose dtype changed on the way, for one note per kind. */
struct change {
	int from, to;
	size_t n;
};

struct exporter {
	int safetensors;
	struct xtensor *t;
	size_t n;
	struct change *ch;
	size_t nch;
	struct buf notes;     /* lines for stderr: skipped tensors, losses */
	size_t nskipped;
	uint64_t bytes;       /* written: .npy headers and widened elements included */
	struct totals data;   /* the checkpoint's tensors exported, counted as every command does */
};

static void note_change(struct exporter *x, int from, int to)
{
	for (size_t i = 0; i < x->nch; i++)
		if (x->ch[i].from == from && x->ch[i].to == to) {
			x->ch[i].n++;
			return;
		}
	x->ch = xreallocarray(x->ch, x->nch + 1, sizeof(*x->ch));
	x->ch[x->nch++] = (struct change){ from, to, 1 };
}

static void skip(struct exporter *x, const struct bundle_entry *e, const char *why)
{
	buf_add(&x->notes, "skipped \"", 9);
	buf_add_name_msg(&x->notes, e->name, e->name_len);
	buf_addf(&x->notes, "\": %s\n", why);
	x->nskipped++;
}

/* Decide how e is written; 0 if it is, 1 if it is skipped (noted), < 0 on error. */
static int plan_tensor(struct exporter *x, struct bundle *b, const struct bundle_entry *e,
		       struct xtensor *t, struct ck_err *err)
{
	const struct dtype_info *d = dtype_info(e->dtype);
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->b = b;
	t->e = e;
	t->out_dtype = e->dtype;
	if (x->safetensors && memchr(e->name, 0, e->name_len)) {
		skip(x, e, "names with NUL bytes cannot be stored");
		return 1;
	}
	if (!x->safetensors) {  /* never a cut member name: the tensor would come back renamed */
		struct buf m = BUF_INIT;
		npz_member_name(&m, e->name, e->name_len);
		if (m.len > NPZ_MAX_MEMBER) {
			struct buf shown = BUF_INIT;
			buf_add_name_msg(&shown, e->name, e->name_len);
			rc = ck_error(err, CK_EUNSUP, "tensor \"%s\" (%zu bytes): its .npz member name "
				      "would take %zu bytes, more than the %u of a zip entry name (use "
				      "--exclude, or --safetensors)", (const char *)shown.p, e->name_len,
				      m.len, NPZ_MAX_MEMBER);
			buf_release(&shown);
		}
		buf_release(&m);
		if (rc < 0)
			return rc;
	}
	if (!d || !d->size) {
		if (e->dtype != DT_STRING || x->safetensors) {
			skip(x, e, x->safetensors ? "safetensors has no string type"
					 : "resource and variant tensors hold no array");
			return 1;
		}
	}
	if (x->safetensors) {
		int same;
		if (!valid_utf8(e->name, e->name_len)) {
			skip(x, e, "safetensors names must be UTF-8");
			return 1;
		}
		if (!safetensors_dtype(e->dtype, &same)) {
			skip(x, e, d->kind == DK_COMPLEX ? "safetensors has no complex type"
						  : "safetensors has no such float8 type");
			return 1;
		}
		if (!same)
			note_change(x, e->dtype, safetensors_dtype_id(safetensors_dtype(e->dtype, &same)));
		t->size = e->elements * (uint64_t)d->size;
		return 0;
	}
	if (e->dtype == DT_STRING) {
		struct strtab s;
		int lossy = 0;
		rc = tensor_strings(b, e, &s, err);
		if (rc < 0)
			return rc;
		t->width = 1;  /* numpy has no zero-width bytes type */
		for (uint64_t i = 0; i < s.n; i++) {
			if (s.len[i] > t->width)
				t->width = s.len[i];
			lossy |= s.len[i] && !s.p[i][s.len[i] - 1];
		}
		strtab_release(&s);
		if (lossy && !is_graph_key(e->name, e->name_len)) {
			buf_add(&x->notes, "\"", 1);
			buf_add_name_msg(&x->notes, e->name, e->name_len);
			buf_add(&x->notes, "\": strings ending in NUL bytes lose them in .npy\n", 49);
		}
		t->how = X_STRINGS;
		{
			char descr[32];
			snprintf(descr, sizeof(descr), "|S%zu", t->width);
			npy_header(&t->head, descr, e->dims, e->rank);
		}
		t->size = t->head.len + e->elements * (uint64_t)t->width;
		return 0;
	}
	{
		int widen;
		const char *descr = npy_descr(e->dtype, &widen);
		if (!descr) {
			skip(x, e, "NumPy has no such type");
			return 1;
		}
		npy_header(&t->head, descr, e->dims, e->rank);
		if (widen) {
			t->how = X_WIDEN;
			t->out_dtype = DT_FLOAT;
			note_change(x, e->dtype, DT_FLOAT);
		} else if (d->kind == DK_QUANT || e->dtype == DT_INT4 || e->dtype == DT_UINT4 ||
			   e->dtype == DT_INT2 || e->dtype == DT_UINT2) {
			note_change(x, e->dtype, e->dtype == DT_QINT8 || e->dtype == DT_INT4 ||
					 e->dtype == DT_INT2 ? DT_INT8 : e->dtype == DT_QINT16 ? DT_INT16 :
					 e->dtype == DT_QINT32 ? DT_INT32 : e->dtype == DT_QUINT16 ?
					 DT_UINT16 : DT_UINT8);
		}
		t->size = t->head.len + e->elements * (uint64_t)(widen ? 4 : d->size);
	}
	return 0;
}

/* safetensors: widest elements first, so that every tensor starts aligned to its size. */
static int cmp_align(const void *a, const void *b)
{
	const struct xtensor *x = a, *y = b;
	int sx = dtype_info(x->e->dtype)->size, sy = dtype_info(y->e->dtype)->size;

	if (sx != sy)
		return sx > sy ? -1 : 1;
	return x->e < y->e ? -1 : x->e > y->e;
}

static int write_safetensors(struct exporter *x, const char *path, int force, struct ck_err *err)
{
	struct outfile of = OUTFILE_INIT;
	struct st_tensor *st = xcalloc(x->n + 1, sizeof(*st));
	struct buf head = BUF_INIT;
	uint8_t *chunk = xmalloc(CHUNK_BYTES);
	int rc;

	sort_array(x->t, x->n, sizeof(*x->t), cmp_align);
	for (size_t i = 0; i < x->n; i++) {
		const struct bundle_entry *e = x->t[i].e;
		int same;
		st[i].name = xmemdup(e->name, e->name_len);
		st[i].dtype = safetensors_dtype_id(safetensors_dtype(e->dtype, &same));
		st[i].rank = e->rank;
		st[i].dims = e->dims;
	}
	safetensors_header(&head, st, x->n);
	rc = outfile_create(&of, path, force, err);
	if (rc == 0)
		rc = outfile_write(&of, head.p, head.len, err);
	for (size_t i = 0; i < x->n && !rc; i++) {
		struct xtensor *t = &x->t[i];
		uint64_t left = t->size;
		rc = x_open(t, err);
		while (!rc && left) {
			long long got = x_read(t, chunk, left < CHUNK_BYTES ? (size_t)left : CHUNK_BYTES, err);
			if (got <= 0) {
				rc = got < 0 ? (int)got : ck_error(err, CK_EIO, "tensor data ended early");
				break;
			}
			rc = outfile_write(&of, chunk, (size_t)got, err);
			left -= (uint64_t)got;
		}
		x_close(t);
	}
	if (rc == 0)
		rc = outfile_commit(&of, err);
	outfile_abort(&of);
	for (size_t i = 0; i < x->n; i++)
		free(st[i].name);
	free(st);
	free(chunk);
	buf_release(&head);
	return rc;
}

static int write_npz(struct exporter *x, const char *path, int force, int compress,
		     struct ck_err *err)
{
	struct npz_writer *w = NULL;
	int rc = npz_writer_open(&w, path, force, compress, err);

	for (size_t i = 0; i < x->n && !rc; i++) {
		struct xtensor *t = &x->t[i];
		struct npz_source src = { x_open, x_read, x_close, t };
		struct buf member = BUF_INIT;
		npz_member_name(&member, t->e->name, t->e->name_len);
		rc = npz_writer_add(w, (const char *)member.p, t->size, &src, err);
		buf_release(&member);
	}
	if (rc < 0) {
		npz_writer_abort(w);
		return rc;
	}
	return npz_writer_finish(w, err);
}

static void print_notes(const struct exporter *x)
{
	struct buf notes = BUF_INIT;

	for (size_t i = 0; i < x->nch; i++) {
		const struct change *c = &x->ch[i];
		buf_addf(&notes, "%zu %s tensor%s written as %s", c->n, dtype_name(c->from),
			 c->n == 1 ? "" : "s", dtype_name(c->to));
		if (c->to == DT_FLOAT)
			buf_addf(&notes, " (NumPy has no %s; --safetensors keeps it)", dtype_name(c->from));
		buf_addc(&notes, '\n');
	}
	buf_add(&notes, x->notes.p, x->notes.len);
	cli_notes(&notes);
	buf_release(&notes);
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "npz", required_argument, NULL, OPT_NPZ },
		{ "safetensors", required_argument, NULL, OPT_ST },
		{ "force", no_argument, NULL, 'f' },
		{ "compress", no_argument, NULL, 'z' },
		{ "include", required_argument, NULL, 'i' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *self = cli_find("export");
	struct namefilter filter = { 0 };
	struct exporter x = { 0 };
	struct ckpt_path where = { 0 };
	struct bundle *b = NULL;
	struct ck_err err = { 0 };
	const char *out = NULL;
	char sz[32];
	int c, force = 0, compress = 0, json = 0, status = EXIT_TROUBLE, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":fzi:x:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_NPZ: case OPT_ST:
			if (out) {
				status = cli_usage(self, "give one output: --npz FILE or --safetensors FILE");
				goto out;
			}
			out = optarg;
			x.safetensors = c == OPT_ST;
			break;
		case 'f': force = 1; break;
		case 'z': compress = 1; break;
		case OPT_JSON: json = 1; break;
		case 'h': status = cli_help(self); goto out;
		case 'i': case 'x':
			if (cli_add_filter(self, &filter, optarg, c == 'x'))
				goto out;
			break;
		default:  /* ':' (a missing value) too */
			status = cli_bad_option(self, argv, opts);
			goto out;
		}
	}
	if (cli_one_operand(self, argc - optind, "checkpoint"))
		goto out;
	if (!out) {
		status = cli_usage(self, "no output given (--npz FILE or --safetensors FILE)");
		goto out;
	}
	if (compress && x.safetensors) {
		status = cli_usage(self, "--compress applies to --npz only");
		goto out;
	}
	surg_signals();
	if (ckpt_open(&b, argv[optind], &where, &err) < 0) {
		cli_notes(&where.notes);
		status = cli_error(&err);
		goto out;
	}
	cli_notes(&where.notes);
	outguard_add_bundle(b);  /* the archive never replaces one of its files */
	x.t = xcalloc(b->nentries + 1, sizeof(*x.t));
	for (size_t k = 0; k < b->nentries; k++) {
		const struct bundle_entry *e = &b->entries[k];
		if (e->is_slice || !namefilter_match(&filter, e->name))
			continue;
		rc = plan_tensor(&x, b, e, &x.t[x.n], &err);
		if (rc < 0) {
			status = cli_error(&err);
			goto out;
		}
		if (rc == 0) {
			x.bytes += x.t[x.n++].size;
			totals_add(&x.data, e);
		}
	}
	if (!x.n) {
		print_notes(&x);
		status = cli_errorf("%s: no tensor to export%s", argv[optind],
				    filter.ninc || filter.nexc ? " (check --include/--exclude)" : "");
		goto out;
	}
	rc = x.safetensors ? write_safetensors(&x, out, force, &err)
			   : write_npz(&x, out, force, compress, &err);
	if (rc < 0) {
		status = cli_error(&err);
		goto out;
	}
	print_notes(&x);
	if (json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "output", out);
		cJSON_AddStringToObject(j, "format", x.safetensors ? "safetensors" : "npz");
		json_add_u64(j, "tensors", x.n);
		json_add_u64(j, "skipped", x.nskipped);
		json_add_u64(j, "bytes", x.bytes);
		json_add_u64(j, "tensor_bytes", x.data.bytes);
		json_print(j, stdout);
		cJSON_Delete(j);
	} else {
		printf("wrote %s: %zu tensor%s, %s of tensor data", out, x.n, x.n == 1 ? "" : "s",
		       fmt_size(sz, x.data.bytes, 0));
		if (x.nskipped)
			printf(" (%zu left out)", x.nskipped);
		putchar('\n');
	}
	status = cli_finish(EXIT_OK);
out:
	for (size_t i = 0; i < x.n; i++)
		buf_release(&x.t[i].head);
	free(x.t);
	free(x.ch);
	buf_release(&x.notes);
	namefilter_release(&filter);
	bundle_free(b);
	ckpt_path_release(&where);
	return status;
}
