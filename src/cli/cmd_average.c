/* ckpt average: the element-wise mean of several checkpoints, streamed in bounded memory. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/file.h"
#include "format/bundle_writer.h"
#include "format/path.h"
#include "edit/average.h"
#include "edit/surgery.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

const char cmd_average_usage[] =
"usage: ckpt average -o OUT [-f] [--keep-optimizer] [--intersect] [--verify-data] [--json]\n"
"                    [--no-sync] CKPT CKPT...\n"
"       ckpt average -o OUT [-f] [--keep-optimizer] [--intersect] [--verify-data] [--json]\n"
"                    [--no-sync] --last N DIR\n"
"\n"
"Write OUT, a checkpoint whose float tensors are the element-wise mean of the inputs' (the\n"
"checkpoint averaging of Vaswani et al.). Tensors are streamed a chunk at a time and summed\n"
"in double precision, so memory stays small whatever the model's size. Integer, bool and\n"
"string tensors (global_step, save_counter) are taken from the last input, and so is a TF2\n"
"object graph. Optimizer state (Adam slots, beta1_power, .OPTIMIZER_SLOT keys, optimizer/\n"
"variables) is left out unless --keep-optimizer.\n"
"\n"
"The inputs must have the same tensors with the same dtypes, shapes and partitioning; if\n"
"not, every difference is listed and nothing is written.\n"
"\n"
"Options:\n"
"  -o, --output OUT       prefix of the new checkpoint (its folder is created if missing)\n"
"  -f, --force            replace OUT if it exists\n"
"                         (never a file of an input: see OUTPUTS in ckpt(1))\n"
"      --last N DIR       average the N most recent checkpoints that DIR's 'checkpoint'\n"
"                         state file lists (all_model_checkpoint_paths), or without\n"
"                         one, the last N of DIR's checkpoints in name order (as\n"
"                         'ckpt verify DIR' lists them)\n"
"      --keep-optimizer   average optimizer slots too, and keep optimizer variables\n"
"      --intersect        average the tensors every input has alike; leave out the rest\n"
"      --verify-data      also re-read every payload of the output and check its CRC\n"
"      --no-sync          do not wait for OUT to reach the disk (faster for scratch\n"
"                         outputs; a machine crash soon after may lose it)\n"
"      --json             print the summary as JSON\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 success, 2 trouble (unreadable inputs, inputs that differ, OUT exists).\n";

enum { OPT_LAST = 256, OPT_KEEP, OPT_INTERSECT, OPT_VERIFY, OPT_JSON, OPT_NO_SYNC };

#define MAX_DIFFS_SHOWN 20

/* The last n checkpoints of DIR, oldest first: those its state file lists that are still
 * there, or without a state file every checkpoint in it, as ckpt_folder_scan orders them. */
static int from_folder(const char *arg, long n, char ***paths, size_t *npaths, struct buf *notes,
		       struct ck_err *err)
{
	struct ckpt_folder f;
	struct ck_stat sb;
	char *dir = xstrdup(arg);
	size_t have = 0, k = 0;
	int rc;

	if (ck_store_stat(arg, &sb, NULL) == 0 && sb.kind != CK_STORE_MISSING &&
	    sb.kind != CK_STORE_FOLDER) {  /* the state file itself */
		char *slash = strrchr(dir, '/');
		if (slash)
			slash[slash == dir] = '\0';
		else
			strcpy(dir, ".");
	}
	rc = ckpt_folder_scan(dir, &f, err);
	if (rc < 0)
		goto out;
	buf_add(notes, f.notes.p, f.notes.len);
	if (f.gone_latest)
		buf_addf(notes, "%s names \"%s\", which is gone\n", f.state, f.gone_latest);
	for (size_t i = 0; i < f.n; i++)
		have += !f.state || f.c[i].listed;
	if (have < (size_t)n) {
		rc = f.state ? ck_error(err, CK_EUSAGE, "%s: lists %zu checkpoint%s%s, fewer than the %ld "
					"asked for", f.state, have, have == 1 ? "" : "s",
					f.notes.len || f.gone_latest ? " still there" : "", n)
			     : ck_error(err, CK_EUSAGE, "%s: holds %zu checkpoint%s and no 'checkpoint' "
					"state file, fewer than the %ld asked for", dir, have,
					have == 1 ? "" : "s", n);
		goto out;
	}
	*paths = xcalloc((size_t)n, sizeof(char *));
	*npaths = (size_t)n;
	for (size_t i = 0; i < f.n; i++) {
		if (f.state && !f.c[i].listed)
			continue;
		if (k++ >= have - (size_t)n)
			(*paths)[k - 1 - (have - (size_t)n)] = xstrdup(f.c[i].prefix);
	}
out:
	ckpt_folder_release(&f);
	free(dir);
	return rc;
}

static void show_diffs(const struct avg_result *r)
{
	struct buf shown = BUF_INIT;
	const char *p = (const char *)r->diffs.p, *end = p + r->diffs.len;
	size_t k = 0;

	for (; p < end && k < MAX_DIFFS_SHOWN; k++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		buf_add(&shown, p, (size_t)(nl - p + 1));
		p = nl + 1;
	}
	if (r->ndiffs > k)
		buf_addf(&shown, "... and %zu more\n", r->ndiffs - k);
	cli_notes(&shown);
	buf_release(&shown);
}

/* named: the inputs were found, not typed (--last), so the line says which they were. */
static void print_summary(const char *out, char **args, size_t n, const struct avg_result *r,
			  int json, int named)
{
	char sz[32];

	if (json) {
		cJSON *j = cJSON_CreateObject(), *a;
		cJSON_AddStringToObject(j, "output", out);
		a = cJSON_AddArrayToObject(j, "inputs");
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(args[i]));
		json_add_u64(j, "averaged", r->averaged);
		json_add_u64(j, "from_last", r->copied);
		json_add_u64(j, "optimizer_left_out", r->optimizer);
		json_add_u64(j, "left_out", r->left_out);
		json_add_u64(j, "differences", r->ndiffs);
		cJSON_AddBoolToObject(j, "object_graph", r->graph);
		json_add_u64(j, "object_graph_keys_removed", r->graph_dropped);
		json_add_u64(j, "bytes", r->bytes);
		json_print(j, stdout);
		cJSON_Delete(j);
		return;
	}
	printf("wrote %s: mean of %zu checkpoints", out, n);
	for (size_t i = 0; named && i < n; i++)
		printf("%s%s%s", i ? ", " : " (", args[i], i + 1 == n ? ")" : "");
	printf("; %zu tensor%s averaged, %zu from the last input", r->averaged,
	       r->averaged == 1 ? "" : "s", r->copied);
	if (r->optimizer)
		printf(", %zu of optimizer state left out", r->optimizer);
	if (r->left_out)
		printf(", %zu not alike in every input left out", r->left_out);
	if (r->graph_dropped)
		printf(", object graph kept without the %zu key%s left out", r->graph_dropped,
		       r->graph_dropped == 1 ? "" : "s");
	else if (r->graph)
		fputs(", object graph kept", stdout);
	printf("; %s\n", fmt_size(sz, r->bytes, 0));
}

/* The checkpoints to average: the operands, or the last `last` of one folder (its notes in
 * notes). -1 to go on, else the exit status. */
static int average_args(const struct cmd *self, int argc, char **argv, long last, char ***args,
			size_t *n, struct buf *notes)
{
	struct ck_err err = { 0 };

	if (last) {
		if (argc - optind != 1)
			return cli_usage(self, "--last N takes one folder, got %d arguments",
					 argc - optind);
		if (from_folder(argv[optind], last, args, n, notes, &err) < 0)
			return cli_error(&err);
		cli_notes(notes);
		return -1;
	}
	if (argc - optind < 2)
		return cli_usage(self, argc - optind ? "averaging needs two checkpoints or more"
					 : "no checkpoints given");
	*n = (size_t)(argc - optind);
	*args = xcalloc(*n, sizeof(char *));
	for (size_t i = 0; i < *n; i++)
		(*args)[i] = xstrdup(argv[optind + (int)i]);
	return -1;
}

int cmd_average(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "last", required_argument, NULL, OPT_LAST },
		{ "keep-optimizer", no_argument, NULL, OPT_KEEP },
		{ "intersect", no_argument, NULL, OPT_INTERSECT },
		{ "verify-data", no_argument, NULL, OPT_VERIFY },
		{ "no-sync", no_argument, NULL, OPT_NO_SYNC },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *self = cli_find("average");
	struct avg_opts o = { 0 };
	struct avg_result r = { 0 };
	struct ck_err err = { 0 };
	struct surg_input *in = NULL;
	struct bundle **bs = NULL;
	struct buf notes = BUF_INIT;
	char *out = NULL, **args = NULL;
	size_t n = 0;
	long last = 0;
	int c, json = 0, force = 0, verify = 0, nosync = 0, status = EXIT_TROUBLE;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': free(out); out = xstrdup(optarg); break;
		case 'f': force = 1; break;
		case OPT_KEEP: o.keep_optimizer = 1; break;
		case OPT_INTERSECT: o.intersect = 1; break;
		case OPT_VERIFY: verify = 1; break;
		case OPT_NO_SYNC: nosync = 1; break;
		case OPT_JSON: json = 1; break;
		case 'h': status = cli_help(self); goto out;
		case OPT_LAST: {
			char *end;
			last = strtol(optarg, &end, 10);
			if (*end || end == optarg || last < 2 || last > 100000) {
				status = cli_usage(self, "--last takes a count of 2 or more, not '%s'", optarg);
				goto out;
			}
			break;
		}
		default:  /* ':' (a missing value) too */
			status = cli_bad_option(self, argv, opts);
			goto out;
		}
	}
	if (!out) {
		status = cli_usage(self, "no output given (-o OUT)");
		goto out;
	}
	if ((status = average_args(self, argc, argv, last, &args, &n, &notes)) >= 0)
		goto out;
	status = EXIT_TROUBLE;
	in = xcalloc(n, sizeof(*in));
	bs = xcalloc(n, sizeof(*bs));
	for (size_t i = 0; i < n; i++) {
		in[i].arg = args[i];
		if (ckpt_open(&in[i].b, args[i], &in[i].where, &err) < 0) {
			cli_notes(&in[i].where.notes);
			status = cli_error(&err);
			goto out;
		}
		cli_notes(&in[i].where.notes);
		bs[i] = in[i].b;
	}
	if (surg_check_output(&out, in, n, force, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	o.flags = BW_MKDIR | (force ? BW_FORCE : 0) | (verify ? BW_VERIFY_DATA : 0) |
		  (nosync ? BW_NO_SYNC : 0);
	surg_signals();
	if (average_checkpoints(bs, (const char *const *)args, n, out, &o, &r, &err) < 0) {
		if (r.ndiffs && !o.intersect)
			show_diffs(&r);
		status = cli_error(&err);
		goto out;
	}
	if (r.ndiffs)
		show_diffs(&r);
	print_summary(out, args, n, &r, json, last != 0);
	status = cli_finish(EXIT_OK);
out:
	for (size_t i = 0; i < n && in; i++) {
		bundle_free(in[i].b);
		ckpt_path_release(&in[i].where);
	}
	for (size_t i = 0; i < n && args; i++)
		free(args[i]);
	free(args);
	free(in);
	free(bs);
	free(out);
	buf_release(&notes);
	avg_result_release(&r);
	return status;
}
