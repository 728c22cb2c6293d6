/* ckpt import: a TF checkpoint (name-based, V2) from a .npz, a safetensors file or .npy files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/outguard.h"
#include "format/bundle_writer.h"
#include "edit/import.h"
#include "edit/surgery.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

static const char usage[] =
"usage: ckpt import -o OUT [-f] [--include REGEX]... [--exclude REGEX]... [--json]\n"
"                   [--no-sync] FILE.npz|FILE.safetensors|FILE.npy|DIR\n"
"\n"
"Write OUT, a TensorFlow checkpoint (V2, name-based as tf.compat.v1.train.Saver and\n"
"tf.train.load_checkpoint read it) holding the arrays of a NumPy .npz archive (stored or\n"
"compressed members 'NAME.npy'), a safetensors file, one .npy file, or a folder of .npy\n"
"files (searched recursively: DIR/a/b.npy becomes the tensor 'a/b'; a link to a folder\n"
"already searched is not followed again). Tensor names are the member, key or file names\n"
"without '.npy'. Memory stays bounded: arrays are streamed, and Fortran-ordered and string\n"
"arrays go through temporary files in $TMPDIR (up to twice their size on disk). NUL bytes\n"
"that pad the elements of byte-string arrays are removed, except from a TF2 object graph\n"
"(_CHECKPOINTABLE_OBJECT_GRAPH), which keeps all its bytes. .npz member names are decoded as\n"
"'ckpt export' encodes them (%XX is the byte XX). safetensors files must follow all the\n"
"rules of the format (UTF-8 header padded with spaces only, unique names, string metadata,\n"
"data indexed without holes ""or overlaps); bools must be 0 or 1.\n"
"\n"
"Types: bool, (u)int8-64, float16/32/64, complex64/128 and byte strings ('S', and 'U' as\n"
"UTF-8) from NumPy; safetensors' BF16 and F8_E5M2/F8_E4M3 become bfloat16 and float8. The\n"
"result of 'ckpt export' imports back bit for bit.\n"
"\n"
"Options:\n"
"  -o, --output OUT       prefix of the new checkpoint (its folder is created if missing)\n"
"  -f, --force            replace OUT if it exists\n"
"                         (never a file of an input: see OUTPUTS in ckpt(1))\n"
"  -i, --include REGEX    import only names matching REGEX (POSIX ERE; repeatable)\n"
"  -x, --exclude REGEX    leave out names matching REGEX (repeatable)\n"
"      --no-sync          do not wait for OUT to reach the disk (faster for scratch\n"
"                         outputs; a machine crash soon after may lose it)\n"
"      --json             print the summary as JSON\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 success, 2 trouble.\n";

enum { OPT_JSON = 256, OPT_NO_SYNC };

static const struct option opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, 'f' },
	{ "include", required_argument, NULL, 'i' },
	{ "exclude", required_argument, NULL, 'x' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-sync", no_argument, NULL, OPT_NO_SYNC },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_import(const struct cmd_entry *self, int argc, char **argv)
{
	struct importer im = { 0 };
	struct ck_err err = { 0 };
	char *out = NULL, sz[32];
	const char *in;
	enum import_kind kind = IMPORT_DIR;
	int c, force = 0, json = 0, nosync = 0, rc, status = EXIT_TROUBLE;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, self->optstring, self->options, NULL)) != -1) {
		switch (c) {
		case 'o': free(out); out = xstrdup(optarg); break;
		case 'f': force = 1; break;
		case OPT_JSON: json = 1; break;
		case OPT_NO_SYNC: nosync = 1; break;
		case 'h': status = cli_help(self); goto out;
		case 'i': case 'x':
			if (cli_add_filter(self, &im.filter, optarg, c == 'x'))
				goto out;
			break;
		default:  /* ':' (a missing value) too */
			status = cli_bad_option(self, argv);
			goto out;
		}
	}
	if (cli_one_operand(self, argc - optind, "input"))
		goto out;
	if (!out) {
		status = cli_usage(self, "no output given (-o OUT)");
		goto out;
	}
	in = argv[optind];
	outguard_add_input(in);  /* the files of a folder are added as they are read */
	if (import_sniff(in, &kind, &err) < 0 || surg_check_output(&out, NULL, 0, force, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	surg_signals();
	if (bundle_writer_open(&im.w, out, 1, BW_MKDIR | (force ? BW_FORCE : 0) |
			       (nosync ? BW_NO_SYNC : 0), &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	rc = import_read(&im, in, kind, &err);
	cli_notes(&im.notes);
	if (rc < 0) {
		status = cli_error(&err);
		goto out;
	}
	if (import_finish(&im, out, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	if (json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "output", out);
		cJSON_AddStringToObject(j, "input", in);
		json_add_u64(j, "tensors", im.tensors);
		json_add_u64(j, "bytes", im.bytes);
		if (kind == IMPORT_DIR) {  /* which files the walk found (links to folders seen are not) */
			cJSON *files = cJSON_AddArrayToObject(j, "files");
			for (size_t at = 0; at < im.files.len; at += strlen((char *)im.files.p + at) + 1)
				cJSON_AddItemToArray(files, cJSON_CreateString((char *)im.files.p + at));
		}
		json_print(j, stdout);
		cJSON_Delete(j);
	} else {
		printf("wrote %s: %zu tensor%s, %s\n", out, im.tensors, im.tensors == 1 ? "" : "s",
		       fmt_size(sz, im.bytes, 0));
	}
	status = cli_finish(EXIT_OK);
out:
	importer_release(&im);
	free(out);
	return status;
}

const struct cmd_entry cmd_import_entry = {
	.name = "import",
	.summary = "a checkpoint from a .npz, safetensors or .npy files",
	.usage = usage,
	.optstring = ":o:fi:x:h",
	.options = opts,
	.exec = cmd_import,
};
