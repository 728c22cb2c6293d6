/* ckpt verify: is a checkpoint whole? Every checksum, every shard, every structural rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/file.h"
#include "format/path.h"
#include "edit/verify.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

static const char usage[] =
"usage: ckpt verify [--json] [-q] [--latest] PATH...\n"
"\n"
"Check that each checkpoint is intact: more than TensorFlow checks on a full restore.\n"
"A training folder is checked whole: every checkpoint its 'checkpoint' state file lists and\n"
"every other PREFIX.index (or legacy V1 checkpoint file) in it, each named in the output.\n"
"  - the index: every block checksum, the header, every entry (dtype known, size equal to\n"
"    elements x element size)\n"
"  - every data shard the header declares is present and long enough for its tensors\n"
"  - every tensor's CRC-32C, and for strings the length checksum and layout\n"
"  - partitioned tensors: every slice stored, none overlapping, covering the whole tensor;\n"
"    no stored slice without its tensor\n"
"  - TF2: the object graph decodes and every checkpoint key it names is in the index\n"
"Data is read once, in file order, in 1 MiB pieces: memory stays small for any size.\n"
"\n"
"Per checkpoint it prints 'PATH: ok: N tensors, SIZE verified', or one line per problem,\n"
"naming the tensor, file and byte range, then 'PATH: FAILED: N problems'.\n"
"\n"
"Legacy V1 checkpoints (a single table file, or sharded P-NNNNN-of-NNNNN files) are checked\n"
"too: every block checksum, every slice's shape and byte count; V1 stores no per-tensor CRC.\n"
"\n"
"Options:\n"
"  -j, --json    one JSON object: per checkpoint its path, status, counts and problems\n"
"  -l, --latest  for a folder, only the checkpoint its state file names (the newest)\n"
"  -q, --quiet   print nothing for intact checkpoints\n"
"  -h, --help    show this help\n"
"\n"
"Exit status: 0 every checkpoint is intact; 1 some checkpoint is damaged: a file that exists\n"
"but is damaged (an index or data shard truncated, empty, without its magic number or with a\n"
"bad block; a checksum mismatch; an index that does not match its data), a missing data shard,\n"
"or a state file whose newest checkpoint is gone; 2 trouble: a checkpoint could not be\n"
"examined at all (no such path, not a checkpoint, permission denied, an I/O error) or a usage\n"
"error. The worst case wins.\n";

static void report_text(const struct verify_report *r, int quiet)
{
	char s1[32], s2[32];

	if (r->error) {
		cli_errorf("%s", r->error);
		return;
	}
	for (size_t i = 0; i < r->np; i++) {
		const struct verify_problem *p = &r->p[i];
		printf("%s: ", r->path);
		if (p->tensor)
			printf("tensor \"%s\"%s", p->tensor, p->file ? " in " : ": ");
		if (p->file)
			printf("%s%s", p->file, p->has_range ? "" : ": ");
		if (p->has_range)
			printf(" bytes %llu..%llu: ", (unsigned long long)p->offset,
			       (unsigned long long)p->end);
		printf("%s\n", p->msg);
	}
	if (r->np) {
		char s3[32];
		printf("%s: FAILED: %zu %s (%s %s, %s", r->path, r->np,
		       r->np == 1 ? "problem" : "problems", fmt_count(s1, r->tensors),
		       r->tensors == 1 ? "tensor" : "tensors", fmt_size(s2, r->bytes, 0));
		/* Of how much: "24 B verified" alone read as if that were all there was. */
		if (r->total_bytes)
			printf(" of %s of tensor data", fmt_size(s3, r->total_bytes, 0));
		printf(" verified)\n");
	} else if (!quiet) {
		printf("%s: ok: %s %s, %s verified", r->path, fmt_count(s1, r->tensors),
		       r->tensors == 1 ? "tensor" : "tensors", fmt_size(s2, r->bytes, 0));
		if (r->unchecked)
			printf(" (%zu resource/variant %s not checkable)", r->unchecked,
			       r->unchecked == 1 ? "tensor" : "tensors");
		putchar('\n');
	}
}

static cJSON *report_json(const struct verify_report *r)
{
	cJSON *o = cJSON_CreateObject(), *a;

	cJSON_AddStringToObject(o, "path", r->path);
	cJSON_AddStringToObject(o, "status", r->error ? "error" : r->np ? "damaged" : "ok");
	if (r->error) {
		cJSON_AddStringToObject(o, "error", r->error);
		return o;
	}
	json_add_u64(o, "tensors", r->tensors);
	json_add_u64(o, "bytes_verified", r->bytes);
	json_add_u64(o, "bytes", r->total_bytes);
	json_add_u64(o, "unchecked", r->unchecked);
	a = cJSON_AddArrayToObject(o, "problems");
	for (size_t i = 0; i < r->np; i++) {
		const struct verify_problem *p = &r->p[i];
		cJSON *j = cJSON_CreateObject();
		if (p->tensor)
			cJSON_AddStringToObject(j, "tensor", p->tensor);
		else
			cJSON_AddNullToObject(j, "tensor");
		if (p->file)
			cJSON_AddStringToObject(j, "file", p->file);
		else
			cJSON_AddNullToObject(j, "file");
		if (p->has_range) {
			json_add_u64(j, "offset", p->offset);
			json_add_u64(j, "end", p->end);
		}
		cJSON_AddStringToObject(j, "message", p->msg);
		cJSON_AddItemToArray(a, j);
	}
	return o;
}

/* One checkpoint's report, printed or added to the JSON; returns its status. */
static int verify_and_report(const char *path, cJSON *arr, int quiet)
{
	struct verify_report r;
	int status;

	verify_checkpoint(path, &r, cli_progress, NULL);
	cli_notes(&r.notes);
	if (arr) {
		cJSON_AddItemToArray(arr, report_json(&r));
	} else {
		report_text(&r, quiet);
		fflush(stdout);
	}
	status = r.status;
	verify_report_release(&r);
	return status;
}

/* The state file's newest checkpoint is gone: a restore from the folder would fail. */
static int report_gone(const char *dir, const struct ckpt_folder *f, cJSON *arr)
{
	struct verify_report r = { 0 };
	char *path = f->gone_latest[0] == '/' ? xstrdup(f->gone_latest)
					      : xasprintf("%s%s%s", dir,
							  dir[strlen(dir) - 1] == '/' ? "" : "/",
							  f->gone_latest);
	char *msg = xasprintf("the newest checkpoint %s names, but its index is gone (a restore "
			      "of the latest checkpoint would fail)", f->state);

	r.path = path;
	verify_add_problem(&r, NULL, NULL, NULL, msg);
	if (arr)
		cJSON_AddItemToArray(arr, report_json(&r));
	else
		report_text(&r, 0);
	verify_report_release(&r);
	free(msg);
	free(path);
	return EXIT_DIFF;
}

/* A training folder, whole: every checkpoint in it (ckpt_folder_scan). A folder without any
 * (a SavedModel's, an empty one) is verified as one path, which names what is there. */
static int verify_folder(const char *dir, cJSON *arr, int quiet)
{
	struct ckpt_folder f;
	struct ck_err err = { 0 };
	int status = EXIT_OK, s;

	if (ckpt_folder_scan(dir, &f, &err) < 0 || (!f.n && !f.gone_latest)) {
		ckpt_folder_release(&f);
		return verify_and_report(dir, arr, quiet);
	}
	cli_notes(&f.notes);
	for (size_t i = 0; i < f.n; i++) {
		s = verify_and_report(f.c[i].prefix, arr, quiet);
		if (s > status)
			status = s;
	}
	if (f.gone_latest && (s = report_gone(dir, &f, arr)) > status)
		status = s;
	ckpt_folder_release(&f);
	return status;
}

static const struct option opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "latest", no_argument, NULL, 'l' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_verify(const struct cmd_entry *self, int argc, char **argv)
{
	int c, json = 0, quiet = 0, latest = 0, status = EXIT_OK;
	cJSON *root = NULL, *arr = NULL;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, self->optstring, self->options, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'l': latest = 1; break;
		case 'h': return cli_help(self);
		default: return cli_bad_option(self, argv);
		}
	}
	if (optind >= argc)
		return cli_usage(self, "no checkpoint given");
	if (json) {
		root = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(root, "checkpoints");
	}
	for (int i = optind; i < argc; i++) {
		struct ck_stat st;
		int s = !latest && ck_store_stat(argv[i], &st, NULL) == 0 && st.kind == CK_STORE_FOLDER
			? verify_folder(argv[i], arr, quiet) : verify_and_report(argv[i], arr, quiet);
		if (s > status)
			status = s;
	}
	if (json) {
		json_add_i64(root, "status", status);
		json_print(root, stdout);
		cJSON_Delete(root);
	}
	return cli_finish(status);
}

const struct cmd_entry cmd_verify_entry = {
	.name = "verify",
	.summary = "check every checksum, shard and structure of a checkpoint",
	.usage = usage,
	.optstring = ":jqlh",
	.options = opts,
	.exec = cmd_verify,
};
