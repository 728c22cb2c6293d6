/* ckpt export: the tensors of a checkpoint as a NumPy .npz archive or a safetensors file. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/outguard.h"
#include "format/bundle.h"
#include "format/path.h"
#include "edit/export.h"
#include "edit/maprules.h"
#include "edit/surgery.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

static const char usage[] =
"usage: ckpt export (--npz FILE | --safetensors FILE) [-f] [-z] [--include REGEX]...\n"
"                   [--exclude REGEX]... [--rules FILE | --preset NAME] [--strict]\n"
"                   [--partial] [--check-against FILE] [-n] [--no-sync] [--json] PATH\n"
"       ckpt export --list-presets\n"
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
"                          (never a file of an input: see OUTPUTS in ckpt(1))\n"
"  -z, --compress          deflate the .npz members (as numpy.savez_compressed)\n"
"  -i, --include REGEX     export only names matching REGEX (POSIX ERE; repeatable)\n"
"  -x, --exclude REGEX     leave out names matching REGEX (repeatable)\n"
"      --rules FILE        rename, drop, transpose, cast and split by the mapping rules\n"
"                          in FILE\n"
"                          (one a line; see 'Mapping rules' in ckpt(1))\n"
"      --preset NAME       rules shipped with ckpt: bert, t5, keras (--list-presets)\n"
"      --strict            a rule that matches nothing, or a tensor no rule accounts for,\n"
"                          is an error (the default with --preset)\n"
"      --partial           with --preset: report those, but write\n"
"      --check-against FILE  the output must have exactly the names and shapes of FILE\n"
"                          (a .safetensors file or a names file)\n"
"  -n, --dry-run           print old -> new names with shapes; write nothing\n"
"      --no-sync           do not wait for FILE to reach the disk (faster for scratch\n"
"                          outputs; a machine crash soon after may lose it)\n"
"      --list-presets      list the presets and where they are\n"
"      --json              print the summary as JSON\n"
"  -h, --help              show this help\n"
"\n"
"'ckpt import' reads both formats back into a checkpoint.\n"
"Exit status: 0 success, 2 trouble.\n";

enum { OPT_NPZ = 256, OPT_ST, OPT_JSON, OPT_RULES, OPT_PRESET, OPT_STRICT, OPT_PARTIAL,
       OPT_CHECK, OPT_LIST_PRESETS, OPT_NO_SYNC };

static void print_notes(const struct exporter *x)
{
	struct buf notes = BUF_INIT;

	export_notes(x, &notes);
	cli_notes(&notes);
	buf_release(&notes);
}

/* --list-presets: the presets folder found, then its presets; the exit status. */
static int list_presets(void)
{
	struct buf dir = BUF_INIT, list = BUF_INIT;
	int status;

	maprules_list_presets(&dir, &list);
	if (!dir.len)
		status = cli_errorf("no presets folder found (presets/ beside the binary, "
				    "../share/ckpt/presets, or $CKPT_PRESETS)");
	else {
		printf("# %s\n", (const char *)dir.p);
		fwrite(list.p, 1, list.len, stdout);
		status = cli_finish(EXIT_OK);
	}
	buf_release(&dir);
	buf_release(&list);
	return status;
}

static const struct option opts[] = {
	{ "npz", required_argument, NULL, OPT_NPZ },
	{ "safetensors", required_argument, NULL, OPT_ST },
	{ "force", no_argument, NULL, 'f' },
	{ "compress", no_argument, NULL, 'z' },
	{ "include", required_argument, NULL, 'i' },
	{ "exclude", required_argument, NULL, 'x' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "preset", required_argument, NULL, OPT_PRESET },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "partial", no_argument, NULL, OPT_PARTIAL },
	{ "check-against", required_argument, NULL, OPT_CHECK },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "list-presets", no_argument, NULL, OPT_LIST_PRESETS },
	{ "no-sync", no_argument, NULL, OPT_NO_SYNC },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* What the command line asks besides the filter and the output format. */
struct export_args {
	struct export_opts w;
	int json;
	int rules, preset, partial, dry;   /* --rules or --preset, --partial, -n */
};

/* The command line, checked, the rules loaded; -1 to go on, else the exit status. */
static int export_parse(const struct cmd_entry *self, int argc, char **argv, struct export_args *a,
			struct export_mapping *mp, struct namefilter *filter, struct exporter *x)
{
	struct ck_err err = { 0 };
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, self->optstring, self->options, NULL)) != -1) {
		switch (c) {
		case OPT_RULES: case OPT_PRESET:
			if (a->rules)
				return cli_usage(self, "give one of --rules FILE or --preset NAME");
			a->rules = 1;
			a->preset = c == OPT_PRESET;
			rc = c == OPT_RULES ? maprules_load(&mp->rules, optarg, &err)
					    : maprules_load_preset(&mp->rules, optarg, &err);
			if (rc < 0)
				return cli_error(&err);
			break;
		case OPT_STRICT: mp->strict = 1; break;
		case OPT_PARTIAL: a->partial = 1; break;
		case OPT_CHECK: mp->check = optarg; break;
		case 'n': a->dry = 1; break;
		case OPT_LIST_PRESETS:
			return list_presets();
		case OPT_NPZ: case OPT_ST:
			if (a->w.out)
				return cli_usage(self, "give one output: --npz FILE or --safetensors FILE");
			a->w.out = optarg;
			x->safetensors = c == OPT_ST;
			break;
		case 'f': a->w.force = 1; break;
		case 'z': a->w.compress = 1; break;
		case OPT_JSON: a->json = 1; break;
		case OPT_NO_SYNC: a->w.no_sync = 1; break;
		case 'h': return cli_help(self);
		case 'i': case 'x':
			if (cli_add_filter(self, filter, optarg, c == 'x'))
				return EXIT_TROUBLE;
			break;
		default:  /* ':' (a missing value) too */
			return cli_bad_option(self, argv);
		}
	}
	if (cli_one_operand(self, argc - optind, "checkpoint"))
		return EXIT_TROUBLE;
	if (!a->w.out && !a->dry)
		return cli_usage(self, "no output given (--npz FILE or --safetensors FILE)");
	if (!a->rules && (mp->strict || a->partial || a->dry || mp->check))
		return cli_usage(self, "--strict, --partial, --check-against and -n go with --rules "
				 "or --preset");
	if (a->partial && !a->preset)
		return cli_usage(self, "--partial goes with --preset (--rules is partial unless "
				 "--strict)");
	if (a->preset && !a->partial)
		mp->strict = 1;
	if (a->w.compress && x->safetensors)
		return cli_usage(self, "--compress applies to --npz only");
	return -1;
}

static void export_print_summary(const struct exporter *x, const char *out, int json)
{
	char sz[32];

	if (json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "output", out);
		cJSON_AddStringToObject(j, "format", x->safetensors ? "safetensors" : "npz");
		json_add_u64(j, "tensors", x->n);
		json_add_u64(j, "skipped", x->nskipped);
		json_add_u64(j, "bytes", x->bytes);
		json_add_u64(j, "tensor_bytes", x->data.bytes);
		json_print(j, stdout);
		cJSON_Delete(j);
		return;
	}
	printf("wrote %s: %zu tensor%s, %s of tensor data", out, x->n, x->n == 1 ? "" : "s",
	       fmt_size(sz, x->data.bytes, 0));
	if (x->nskipped)
		printf(" (%zu left out)", x->nskipped);
	putchar('\n');
}

/* --rules or --preset: the plan through the rules, -n's table, the problems as notes or as
 * the error; -1 to write the plan, else the exit status. */
static int export_mapped(struct export_mapping *mp, const struct export_args *a,
			 struct exporter *x, struct surg_input *in, const struct namefilter *filter)
{
	struct ck_err err = { 0 };
	const char *arg = in->arg;

	if (export_plan_mapped(mp, x, in, filter, &err) < 0)
		return cli_error(&err);
	if (a->dry)
		fwrite(mp->table.p, 1, mp->table.len, stdout);
	if (mp->nproblems) {
		if (mp->nproblems > EXPORT_MAX_PROBLEMS_SHOWN)
			buf_addf(&mp->problems, "... and %zu more\n",
				 mp->nproblems - EXPORT_MAX_PROBLEMS_SHOWN);
		/* the list as notes (an error message has a bounded length), then the verdict */
		cli_notes(&mp->problems);
		if (mp->nfatal)
			return cli_errorf("%s: %zu problem%s with the rules (listed above), nothing "
					  "written%s", arg, mp->nproblems, mp->nproblems == 1 ? "" : "s",
					  a->preset ? " (--partial writes anyway)" : "");
	}
	return a->dry ? cli_finish(EXIT_OK) : -1;
}

static int cmd_export(const struct cmd_entry *self, int argc, char **argv)
{
	struct export_mapping mp;
	struct surg_input in = { 0 };
	struct namefilter filter = { 0 };
	struct exporter x = { 0 };
	struct ckpt_path where = { 0 };
	struct bundle *b = NULL;
	struct ck_err err = { 0 };
	struct export_args a = { 0 };
	int status;

	export_mapping_init(&mp);
	if ((status = export_parse(self, argc, argv, &a, &mp, &filter, &x)) >= 0)
		goto out;
	status = EXIT_TROUBLE;
	surg_signals();
	if (a.rules) {
		if ((status = cli_surg_input(&in, argv[optind])) >= 0)
			goto out;
		b = in.b;
		outguard_add_bundle(b);
		if ((status = export_mapped(&mp, &a, &x, &in, &filter)) >= 0)
			goto out;
	} else {
		if (ckpt_open(&b, argv[optind], &where, &err) < 0) {
			cli_notes(&where.notes);
			status = cli_error(&err);
			goto out;
		}
		cli_notes(&where.notes);
		outguard_add_bundle(b);  /* the archive never replaces one of its files */
		if (export_plan(&x, b, &filter, &err) < 0) {
			status = cli_error(&err);
			goto out;
		}
	}
	if (!x.n) {
		print_notes(&x);
		status = cli_errorf("%s: no tensor to export%s", argv[optind],
				    filter.ninc || filter.nexc ? " (check --include/--exclude)" : "");
		goto out;
	}
	if (export_write(&x, &a.w, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	print_notes(&x);
	export_print_summary(&x, a.w.out, a.json);
	status = cli_finish(EXIT_OK);
out:
	exporter_release(&x);
	export_mapping_release(&mp);
	namefilter_release(&filter);
	if (a.rules)
		surg_input_release(&in);
	else
		bundle_free(b);
	ckpt_path_release(&where);
	return status;
}

const struct cmd_entry cmd_export_entry = {
	.name = "export",
	.summary = "write tensors to a NumPy .npz or a safetensors file",
	.usage = usage,
	.optstring = ":fzi:x:nh",
	.options = opts,
	.exec = cmd_export,
};
