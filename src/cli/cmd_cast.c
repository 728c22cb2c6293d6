/* ckpt cast: a copy of a checkpoint with its float tensors converted to another float type. */
#include <stdlib.h>
#include <string.h>

#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "format/path.h"
#include "tensor/assemble.h"
#include "tensor/castconv.h"
#include "edit/cast.h"
#include "edit/surgery.h"
#include "edit/xform.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

static const char usage[] =
"usage: ckpt cast -o OUT --to float16|bfloat16|float32|float64 [-f] [--include REGEX]...\n"
"                 [--exclude REGEX]... [--verify-data] [--json] [--no-sync] PATH\n"
"\n"
"Write OUT, a copy of the checkpoint PATH whose float tensors (float16, bfloat16, float32,\n"
"float64, float8) are converted to the --to type, rounding to nearest, ties to even: the way\n"
"to halve a checkpoint for serving. Integer, bool, complex and string tensors and the TF2\n"
"object graph are copied unchanged; so are tensors already of the --to type. Reports how\n"
"many values were rounded, and warns about each tensor where finite values overflowed to\n"
"infinity or non-zero values became zero. TensorFlow restores a variable from a checkpoint\n"
"of another float type only through code that casts: check before serving.\n"
"\n"
"Options:\n"
"  -o, --output OUT       prefix of the new checkpoint (its folder is created if missing)\n"
"  -t, --to DTYPE         float16 (half), bfloat16, float32 or float64\n"
"  -f, --force            replace OUT if it exists\n"
"                         (never a file of an input: see OUTPUTS in ckpt(1))\n"
"  -i, --include REGEX    convert only float tensors whose names match (POSIX ERE;\n"
"                         repeatable); the others are copied unchanged\n"
"  -x, --exclude REGEX    do not convert names matching REGEX (repeatable)\n"
"      --verify-data      also re-read every payload of the output and check its CRC\n"
"      --no-sync          do not wait for OUT to reach the disk (faster for scratch\n"
"                         outputs; a machine crash soon after may lose it)\n"
"      --json             print the summary as JSON\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 success, 2 trouble.\n";

enum { OPT_VERIFY = 256, OPT_JSON, OPT_NO_SYNC };

struct cast_totals {
	int from_v1;  /* the input was a V1 table; the output is V2 */
	size_t cast, copied;
	uint64_t bytes_in, bytes_out;
	struct cast_stats st;
};

static void warn_tensor(const struct bundle_entry *e, const struct cast_stats *st, int to)
{
	struct buf name = BUF_INIT;

	buf_add_name_msg(&name, e->name, e->name_len);
	if (st->overflow)
		cli_errorf("warning: \"%s\": %llu value%s beyond %s's range became infinite",
			   (const char *)name.p, (unsigned long long)st->overflow,
			   st->overflow == 1 ? "" : "s", dtype_name(to));
	if (st->underflow)
		cli_errorf("warning: \"%s\": %llu non-zero value%s became zero in %s",
			   (const char *)name.p, (unsigned long long)st->underflow,
			   st->underflow == 1 ? "" : "s", dtype_name(to));
	buf_release(&name);
}

static void add_stats(const struct bundle_entry *e, const struct cast_stats *st, int to,
		      struct cast_totals *t)
{
	warn_tensor(e, st, to);
	t->st.values += st->values;
	t->st.changed += st->changed;
	t->st.overflow += st->overflow;
	t->st.underflow += st->underflow;
}

/* A tensor copied, or a partitioned one converted slice by slice. */
static int cast_tensor(struct bundle_writer *w, struct bundle *b, const struct bundle_entry *e,
		       int to, int convert, struct cast_totals *t, struct ck_err *err)
{
	struct cast_stats st = { 0 };
	struct bundle_entry pe;
	int64_t *ext;
	int rc = 0;

	if (!e->nslices) {
		t->bytes_in += e->size;
		t->bytes_out += e->size;
		return xform_copy(w, 0, b, e, e->name, e->name_len, err);
	}
	rc = partition_check(b, e, err);
	if (rc < 0)
		return rc;
	pe = *e;
	if (convert)
		pe.dtype = to;
	rc = xform_copy(w, 0, b, &pe, e->name, e->name_len, err);
	ext = xcalloc((size_t)e->rank * 2 + 1, sizeof(int64_t));
	for (size_t s = 0; s < e->nslices && !rc; s++) {
		const struct bundle_entry *se = slice_entry(b, e, s, ext);
		t->bytes_in += se->size;
		if (convert) {
			rc = cast_payload(w, b, se, to, &st, &t->bytes_out, err);
		} else {
			t->bytes_out += se->size;
			rc = xform_copy(w, 0, b, se, se->name, se->name_len, err);
		}
	}
	free(ext);
	if (!rc && convert)
		add_stats(e, &st, to, t);
	return rc;
}

/* Tensors to convert are gathered, up to this many, and converted together (edit/cast.h:
 * the two threads meet once a batch); their output order stays the input's. */
#define GATHER 1024

static int cast_gathered(struct bundle_writer *w, struct bundle *b, struct cast_item *items,
			 size_t *n, int to, struct cast_totals *t, struct ck_err *err)
{
	int rc = cast_payloads(w, b, items, *n, to, &t->bytes_out, err);

	for (size_t i = 0; i < *n && !rc; i++) {
		t->bytes_in += items[i].e->size;
		add_stats(items[i].e, &items[i].st, to, t);
	}
	*n = 0;
	return rc;
}

static void print_summary(const char *out, int to, const struct cast_totals *t, int json)
{
	char a[32], b[32], c[32];

	if (json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "output", out);
		cJSON_AddStringToObject(j, "to", dtype_name(to));
		if (t->from_v1)
			cJSON_AddStringToObject(j, "input_format", "v1");
		json_add_u64(j, "converted", t->cast);
		json_add_u64(j, "unchanged", t->copied);
		json_add_u64(j, "values", t->st.values);
		json_add_u64(j, "rounded", t->st.changed);
		json_add_u64(j, "overflow", t->st.overflow);
		json_add_u64(j, "underflow", t->st.underflow);
		json_add_u64(j, "bytes_in", t->bytes_in);
		json_add_u64(j, "bytes_out", t->bytes_out);
		json_print(j, stdout);
		cJSON_Delete(j);
		return;
	}
	printf("wrote %s%s: %zu tensor%s converted to %s, %zu unchanged; %s -> %s\n", out,
	       t->from_v1 ? " (V2, from a V1 input)" : "", t->cast,
	       t->cast == 1 ? "" : "s", dtype_name(to), t->copied, fmt_size(a, t->bytes_in, 0),
	       fmt_size(b, t->bytes_out, 0));
	printf("%s of %s values rounded", fmt_count(a, t->st.changed), fmt_count(b, t->st.values));
	if (t->st.values)
		printf(" (%s)", fmt_percent(c, t->st.changed, t->st.values, 2));
	printf(", %s overflowed to infinity, %s became zero\n", fmt_count(c, t->st.overflow),
	       fmt_count(a, t->st.underflow));
}

static const struct option opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "to", required_argument, NULL, 't' },
	{ "force", no_argument, NULL, 'f' },
	{ "include", required_argument, NULL, 'i' },
	{ "exclude", required_argument, NULL, 'x' },
	{ "verify-data", no_argument, NULL, OPT_VERIFY },
	{ "no-sync", no_argument, NULL, OPT_NO_SYNC },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_cast(const struct cmd_entry *self, int argc, char **argv)
{
	struct namefilter filter = { 0 };
	struct surg_input in = { 0 };
	struct bundle_writer *w = NULL;
	struct ck_err err = { 0 };
	struct cast_totals t = { 0 };
	struct cast_item *items = NULL;
	size_t nitems = 0;
	char *out = NULL;
	int c, to = -1, force = 0, verify = 0, nosync = 0, json = 0, status = EXIT_TROUBLE;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, self->optstring, self->options, NULL)) != -1) {
		switch (c) {
		case 'o': free(out); out = xstrdup(optarg); break;
		case 'f': force = 1; break;
		case OPT_VERIFY: verify = 1; break;
		case OPT_NO_SYNC: nosync = 1; break;
		case OPT_JSON: json = 1; break;
		case 'h': status = cli_help(self); goto out;
		case 't':
			to = dtype_from_name(optarg);
			if (to != DT_HALF && to != DT_BFLOAT16 && to != DT_FLOAT && to != DT_DOUBLE) {
				status = cli_usage(self, "--to takes float16, bfloat16, float32 or float64, "
						   "not '%s'", optarg);
				goto out;
			}
			break;
		case 'i': case 'x':
			if (cli_add_filter(self, &filter, optarg, c == 'x'))
				goto out;
			break;
		default:  /* ':' (a missing value) too */
			status = cli_bad_option(self, argv);
			goto out;
		}
	}
	if (cli_one_operand(self, argc - optind, "checkpoint"))
		goto out;
	if (!out) {
		status = cli_usage(self, "no output given (-o OUT)");
		goto out;
	}
	if (to < 0) {
		status = cli_usage(self, "no target type given (--to float16|bfloat16|float32|float64)");
		goto out;
	}
	in.arg = argv[optind];
	if (ckpt_open(&in.b, in.arg, &in.where, &err) < 0) {
		cli_notes(&in.where.notes);
		status = cli_error(&err);
		goto out;
	}
	cli_notes(&in.where.notes);
	t.from_v1 = in.b->format == 1;
	if (surg_check_output(&out, &in, 1, force, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	surg_signals();
	if (bundle_writer_open(&w, out, 1, BW_MKDIR | (force ? BW_FORCE : 0) |
			       (verify ? BW_VERIFY_DATA : 0) | (nosync ? BW_NO_SYNC : 0), &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	bundle_writer_set_big_endian(w, in.b->big_endian);
	items = xcalloc(GATHER, sizeof(*items));
	for (size_t k = 0; k < in.b->nentries; k++) {
		const struct bundle_entry *e = &in.b->entries[k];
		int convert;
		if (e->is_slice)
			continue;
		convert = cast_is_float(e->dtype) && e->dtype != to && !is_graph_key(e->name, e->name_len) &&
			  namefilter_match(&filter, e->name);
		t.cast += convert;
		t.copied += !convert && !is_graph_key(e->name, e->name_len);
		if (convert && !e->nslices) {
			items[nitems++].e = e;
			if (nitems < GATHER)
				continue;
		}
		if ((nitems && cast_gathered(w, in.b, items, &nitems, to, &t, &err) < 0) ||
		    (!(convert && !e->nslices) && cast_tensor(w, in.b, e, to, convert, &t, &err) < 0)) {
			bundle_writer_abort(w);
			status = cli_error(&err);
			goto out;
		}
	}
	if (nitems && cast_gathered(w, in.b, items, &nitems, to, &t, &err) < 0) {
		bundle_writer_abort(w);
		status = cli_error(&err);
		goto out;
	}
	if (bundle_writer_finish(w, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	print_summary(out, to, &t, json);
	status = cli_finish(EXIT_OK);
out:
	free(items);
	namefilter_release(&filter);
	bundle_free(in.b);
	ckpt_path_release(&in.where);
	free(out);
	return status;
}

const struct cmd_entry cmd_cast_entry = {
	.name = "cast",
	.summary = "write a copy with float tensors converted (float16, bfloat16 ...)",
	.usage = usage,
	.optstring = ":o:t:fi:x:h",
	.options = opts,
	.exec = cmd_cast,
};
