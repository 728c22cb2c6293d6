/* ckpt trend: norms and relative changes of tensors over the checkpoints of a training run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "store/file.h"
#include "format/dtype.h"
#include "tensor/npy.h"
#include "edit/surgery.h"
#include "edit/trend.h"
#include "edit/trend_html.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

static const char usage[] =
"usage: ckpt trend [-i RE] [-x RE] [--by-scope[=DEPTH]] [--last N] [--json | --html FILE [-f]]\n"
"                  [--ascii] [-w COLS] DIR | CKPT CKPT...\n"
"\n"
"How the tensors of a training run moved, from its checkpoints alone: for each float tensor\n"
"its L2 norm in every checkpoint, its relative change ||B - A|| / ||A|| from one checkpoint to\n"
"the next (as 'ckpt diff' computes it: over the pairs where both values are finite), and its\n"
"NaN and Inf counts; for integer scalars (global_step) their values. The checkpoints are those\n"
"of the training folder DIR (the ones its 'checkpoint' state file lists, in its order, then\n"
"the others by step), or the ones given, oldest first. Each is read tensor by tensor, so\n"
"memory stays small whatever the model's size.\n"
"\n"
"The table has a line per checkpoint (its step: global_step, else the -N of its name; and the\n"
"time of its .index file), then a row per tensor with its latest norm, latest relative change\n"
"and a sparkline of its relative changes, the largest latest change first. A tensor that\n"
"appears later has no value before; one whose shape changes is reported, not compared.\n"
"\n"
"Options:\n"
"  -i, --include RE       only tensors whose name matches RE (repeatable)\n"
"  -x, --exclude RE       leave out tensors whose name matches RE (repeatable)\n"
"      --by-scope[=DEPTH] one row per name scope (split on '/'), DEPTH levels deep (default:\n"
"                         innermost): the norm and relative change of its tensors as one vector\n"
"      --last N           only the newest N checkpoints of DIR\n"
"      --json             print the series as JSON\n"
"      --html FILE        write a self-contained page (charts, heat map, sortable table;\n"
"                         nothing loaded from the network); the table is printed too\n"
"  -f, --force            replace FILE if it exists\n"
"                         (never a file of an input: see OUTPUTS in ckpt(1))\n"
"      --ascii            sparklines in ASCII (also when the locale is not UTF-8)\n"
"  -w, --width COLS       shorten names to fit COLS columns (0: never; default: the terminal)\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 success, 1 the newest checkpoint holds NaN or Inf in a float tensor shown,\n"
"2 trouble.\n";

enum { OPT_SCOPE = 256, OPT_LAST, OPT_JSON, OPT_HTML, OPT_ASCII };

#define SPARK_MAX 40

/* UTF-8 output unless --ascii or a locale that says otherwise (LC_ALL, LC_CTYPE, LANG). */
static int utf8_locale(void)
{
	const char *v = getenv("LC_ALL");

	if (!v || !*v)
		v = getenv("LC_CTYPE");
	if (!v || !*v)
		v = getenv("LANG");
	return v && (strcasestr(v, "utf-8") || strcasestr(v, "utf8"));
}

/* The log scale of the sparklines: whole decades around every finite nonzero change. */
static void spark_scale(const struct trend *t, int *lo, int *hi)
{
	double min = INFINITY, max = 0;

	for (size_t i = 0; i < t->ns; i++)
		for (size_t k = 0; k + 1 < t->n; k++) {
			double v = t->s[i].rel[k];
			if (!(v > 0) || !isfinite(v))
				continue;
			min = v < min ? v : min;
			max = v > max ? v : max;
		}
	*lo = max > 0 ? (int)floor(log10(min)) : -6;
	*hi = max > 0 ? (int)ceil(log10(max)) : 0;
	if (*hi <= *lo)
		*hi = *lo + 1;
}

/* One character per consecutive pair (the last SPARK_MAX): a level of 8 on the log scale,
 * ' ' where nothing was compared. */
static void sparkline(struct buf *b, const struct trend *t, const struct trend_series *s,
		      int lo, int hi, int ascii)
{
	static const char *const blocks[8] = { "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
		"\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88" };
	static const char levels[] = "_.-:=+*#";
	size_t m = t->n - 1, from = m > SPARK_MAX ? m - SPARK_MAX : 0;

	for (size_t k = from; k < m; k++) {
		double v = s->rel[k];
		int l;
		if (isnan(v)) {
			buf_addc(b, s->reshaped[k] ? '|' : ' ');
			continue;
		}
		l = !(v > 0) ? 0 : !isfinite(v) ? 7 : (int)floor((log10(v) - lo) / (hi - lo) * 8);
		l = l < 0 ? 0 : l > 7 ? 7 : l;
		if (ascii)
			buf_addc(b, levels[l]);
		else
			buf_add(b, blocks[l], strlen(blocks[l]));
	}
}

static void fmt_step(char out[32], const struct trend_ckpt *c)
{
	if (c->has_step)
		snprintf(out, 32, "%lld", (long long)c->step);
	else
		snprintf(out, 32, "-");
}

/* What a row's numbers do not say: NaN/Inf in the newest checkpoint or when they appeared,
 * shape changes, late arrival, departure. */
static void row_notes(struct buf *b, const struct trend *t, const struct trend_series *s)
{
	size_t first = 0, k;
	char step[32];

	while (first < t->n && !s->present[first])
		first++;
	if (first > 0 && first < t->n) {
		fmt_step(step, &t->c[first]);
		buf_addf(b, "new at step %s", step);
	}
	if (first < t->n && !s->present[t->n - 1]) {
		for (k = t->n - 1; !s->present[k - 1]; k--)
			;
		fmt_step(step, &t->c[k]);
		buf_addf(b, "%sgone at step %s", b->len ? "; " : "", step);
	}
	for (k = 0; k + 1 < t->n; k++)
		if (s->reshaped[k]) {
			fmt_step(step, &t->c[k + 1]);
			buf_addf(b, "%sshape changed at step %s", b->len ? "; " : "", step);
		}
	for (k = 0; k < t->n; k++)
		if (s->nan[k] || s->inf[k])
			break;
	if (k < t->n) {
		fmt_step(step, &t->c[k]);
		buf_addf(b, "%sNaN/Inf from step %s", b->len ? "; " : "", step);
		if (s->present[t->n - 1])
			buf_addf(b, " (now %llu NaN, %llu Inf)", (unsigned long long)s->nan[t->n - 1],
				 (unsigned long long)s->inf[t->n - 1]);
	}
}

static void print_checkpoints(const struct trend *t)
{
	struct tab tb;
	char step[32], when[32];

	tab_init(&tb, "rrll");
	tab_add(&tb, " #");
	tab_add(&tb, "STEP");
	tab_add(&tb, "TIME");
	tab_add(&tb, "CHECKPOINT");
	for (size_t k = 0; k < t->n; k++) {
		const struct trend_ckpt *c = &t->c[k];
		time_t tt = (time_t)c->mtime;
		struct tm tm;
		fmt_step(step, c);
		if (c->has_time && localtime_r(&tt, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		else
			strcpy(when, "-");
		tab_addf(&tb, " %zu", k + 1);
		tab_add(&tb, step);
		tab_add(&tb, when);
		tab_add(&tb, c->prefix);
	}
	tab_print(&tb, stdout);
	tab_release(&tb);
}

static void print_table(const struct trend *t, int ascii, int by_scope)
{
	struct buf cell = BUF_INIT;
	struct tab tb;
	int lo, hi;

	print_checkpoints(t);
	putchar('\n');
	spark_scale(t, &lo, &hi);
	tab_init(&tb, "lrrll");
	tab_add(&tb, by_scope ? "SCOPE OR NAME" : "NAME");
	tab_add(&tb, "NORM");
	tab_add(&tb, "REL CHANGE");
	tab_addf(&tb, "TREND (log %g..%g)", pow(10, lo), pow(10, hi));
	tab_add(&tb, "");
	for (size_t i = 0; i < t->ns; i++) {
		const struct trend_series *s = &t->s[i];
		double rel = trend_latest_rel(t, s, NULL), norm = trend_latest_norm(t, s);

		buf_reset(&cell);
		name_escaped(&cell, s->name, s->name_len);
		buf_addc(&cell, '\0');
		tab_add(&tb, (const char *)cell.p);
		if (s->kind == TREND_COUNTER) {
			tab_addf(&tb, "%lld", (long long)s->value[t->n - 1]);
			tab_add(&tb, "");
			tab_add(&tb, "");
			buf_reset(&cell);
			buf_addf(&cell, "%s scalar:", dtype_name(s->dtype));
			for (size_t k = t->n > 8 ? t->n - 8 : 0; k < t->n; k++)
				if (s->present[k])
					buf_addf(&cell, " %lld", (long long)s->value[k]);
				else
					buf_add(&cell, " -", 2);
			buf_addc(&cell, '\0');
			tab_add(&tb, (const char *)cell.p);
			continue;
		}
		if (isnan(norm))
			tab_add(&tb, "-");
		else
			tab_addf(&tb, "%.4g", norm);
		if (isnan(rel))
			tab_add(&tb, "-");
		else
			tab_addf(&tb, "%.3g", rel);
		buf_reset(&cell);
		sparkline(&cell, t, s, lo, hi, ascii);
		buf_addc(&cell, '\0');
		tab_add(&tb, (const char *)cell.p);
		buf_reset(&cell);
		row_notes(&cell, t, s);
		buf_addc(&cell, '\0');
		tab_add(&tb, (const char *)cell.p);
	}
	tab_print(&tb, stdout);
	tab_release(&tb);
	buf_release(&cell);
}

static cJSON *num_or_null(double v)
{
	return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static void print_json(const struct trend *t)
{
	cJSON *j = cJSON_CreateObject(), *cs, *ts;

	cs = cJSON_AddArrayToObject(j, "checkpoints");
	for (size_t k = 0; k < t->n; k++) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "prefix", t->c[k].prefix);
		if (t->c[k].has_step)
			json_add_i64(c, "step", t->c[k].step);
		else
			cJSON_AddNullToObject(c, "step");
		cJSON_AddItemToArray(cs, c);
	}
	ts = cJSON_AddArrayToObject(j, "tensors");
	for (size_t i = 0; i < t->ns; i++) {
		const struct trend_series *s = &t->s[i];
		cJSON *o = cJSON_CreateObject(), *a[5];
		json_add_name(o, "name", s->name, s->name_len);
		if (s->dims) {
			cJSON_AddStringToObject(o, "dtype", dtype_name(s->dtype));
			cJSON_AddItemToObject(o, "shape", json_shape(s->dims, s->rank));
		} else {
			cJSON_AddNullToObject(o, "dtype");
			cJSON_AddNullToObject(o, "shape");
			json_add_u64(o, "tensors", s->tensors);
		}
		a[0] = cJSON_AddArrayToObject(o, "norm");
		a[1] = cJSON_AddArrayToObject(o, "rel_change");
		a[2] = cJSON_AddArrayToObject(o, "nan");
		a[3] = cJSON_AddArrayToObject(o, "inf");
		a[4] = s->kind == TREND_COUNTER ? cJSON_AddArrayToObject(o, "value") : NULL;
		for (size_t k = 0; k < t->n; k++) {
			int f = s->present[k] && s->kind == TREND_FLOAT;
			cJSON_AddItemToArray(a[0], f ? num_or_null(s->norm[k]) : cJSON_CreateNull());
			if (k + 1 < t->n)
				cJSON_AddItemToArray(a[1], num_or_null(s->rel[k]));
			cJSON_AddItemToArray(a[2], f ? cJSON_CreateNumber((double)s->nan[k])
						     : cJSON_CreateNull());
			cJSON_AddItemToArray(a[3], f ? cJSON_CreateNumber((double)s->inf[k])
						     : cJSON_CreateNull());
			if (a[4])
				cJSON_AddItemToArray(a[4], s->present[k]
					? cJSON_CreateNumber((double)s->value[k]) : cJSON_CreateNull());
		}
		cJSON_AddItemToArray(ts, o);
	}
	json_print(j, stdout);
	cJSON_Delete(j);
}

static int write_html(const struct trend *t, const char *path, int force, struct ck_err *err)
{
	struct outfile of = OUTFILE_INIT;
	struct buf page = BUF_INIT;
	int rc;

	trend_html(&page, t);
	rc = outfile_create(&of, path, force, err);
	if (rc == 0)
		rc = outfile_write(&of, page.p, page.len, err);
	if (rc == 0)
		rc = outfile_commit(&of, err);
	outfile_abort(&of);
	buf_release(&page);
	return rc;
}

/* Exit 1 when the newest checkpoint holds NaN or Inf in a float tensor shown. */
static int nonfinite_now(const struct trend *t)
{
	for (size_t i = 0; i < t->ns && t->n; i++)
		if (t->s[i].present[t->n - 1] && (t->s[i].nan[t->n - 1] || t->s[i].inf[t->n - 1]))
			return 1;
	return 0;
}

/* The checkpoints: one training folder's (its last `last`, when given), or the operands.
 * -1 to go on, else the exit status. */
static int trend_operands(const struct cmd_entry *self, int argc, char **argv, long last,
			  char ***paths, size_t *n, struct buf *notes)
{
	struct ck_err err = { 0 };
	struct ck_stat sb;

	if (argc - optind == 1 && ck_store_stat(argv[optind], &sb, NULL) == 0 &&
	    sb.kind == CK_STORE_FOLDER) { /* a local folder or a folder URL */
		if (trend_folder(argv[optind], (size_t)last, paths, n, notes, &err) < 0) {
			cli_notes(notes);
			return cli_error(&err);
		}
		return -1;
	}
	if (last)
		return cli_usage(self, "--last N takes one training folder");
	*n = (size_t)(argc - optind);
	*paths = xcalloc(*n, sizeof(char *));
	for (size_t i = 0; i < *n; i++)
		(*paths)[i] = xstrdup(argv[optind + (int)i]);
	return -1;
}

static const struct option opts[] = {
	{ "include", required_argument, NULL, 'i' },
	{ "exclude", required_argument, NULL, 'x' },
	{ "by-scope", optional_argument, NULL, OPT_SCOPE },
	{ "last", required_argument, NULL, OPT_LAST },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "force", no_argument, NULL, 'f' },
	{ "ascii", no_argument, NULL, OPT_ASCII },
	{ "width", required_argument, NULL, 'w' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_trend(const struct cmd_entry *self, int argc, char **argv)
{
	struct namefilter names = { 0 };
	struct trend_opts o = { 0 };
	struct trend t = { 0 };
	struct ck_err err = { 0 };
	struct buf notes = BUF_INIT;
	char **paths = NULL, *html = NULL;
	size_t n = 0;
	long last = 0, depth = 0;
	int c, json = 0, force = 0, ascii = !utf8_locale(), by_scope = 0, status = EXIT_TROUBLE;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, self->optstring, self->options, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'i':
		case 'x':
			if (cli_add_filter(self, &names, optarg, c == 'x'))
				goto out;
			break;
		case OPT_SCOPE:
			depth = optarg ? strtol(optarg, &end, 10) : 0;
			if (optarg && (*end || depth < 1 || depth > 1000)) {
				status = cli_usage(self, "--by-scope takes a depth of 1 or more, not '%s'",
						   optarg);
				goto out;
			}
			by_scope = 1;
			break;
		case OPT_LAST:
			last = strtol(optarg, &end, 10);
			if (*end || end == optarg || last < 1 || last > 1000000) {
				status = cli_usage(self, "--last takes a count of 1 or more, not '%s'", optarg);
				goto out;
			}
			break;
		case OPT_JSON: json = 1; break;
		case OPT_HTML: free(html); html = xstrdup(optarg); break;
		case 'f': force = 1; break;
		case OPT_ASCII: ascii = 1; break;
		case 'w': {
			long wv = strtol(optarg, &end, 10);
			if (*end || end == optarg || wv < 0) {
				status = cli_usage(self, "--width takes a number of columns, not '%s'", optarg);
				goto out;
			}
			out_set_width(wv);
			break;
		}
		case 'h': status = cli_help(self); goto out;
		default:  /* ':' (a missing value) too */
			status = cli_bad_option(self, argv);
			goto out;
		}
	}
	if (json && html) {
		status = cli_usage(self, "choose one of --json and --html");
		goto out;
	}
	if (optind == argc) {
		status = cli_usage(self, "no training folder or checkpoints given");
		goto out;
	}
	if ((status = trend_operands(self, argc, argv, last, &paths, &n, &notes)) >= 0)
		goto out;
	status = EXIT_TROUBLE;
	cli_notes(&notes);
	buf_reset(&notes);
	o.filter = names.ninc || names.nexc ? &names : NULL;
	o.progress = cli_progress;
	if (trend_run((const char *const *)paths, n, &o, &t, &notes, &err) < 0) {
		cli_notes(&notes);
		status = cli_error(&err);
		goto out;
	}
	cli_notes(&notes);
	if (by_scope)
		trend_by_scope(&t, (int)depth);
	trend_sort(&t);
	if (html)
		surg_signals();  /* the temporary page is removed on SIGINT/SIGTERM */
	if (html && write_html(&t, html, force, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	if (json)
		print_json(&t);
	else
		print_table(&t, ascii, by_scope);
	if (html)
		fprintf(stderr, "ckpt: trend: wrote %s\n", html);
	status = cli_finish(nonfinite_now(&t) ? EXIT_DIFF : EXIT_OK);
out:
	for (size_t i = 0; i < n && paths; i++)
		free(paths[i]);
	free(paths);
	free(html);
	namefilter_release(&names);
	buf_release(&notes);
	trend_release(&t);
	return status;
}

const struct cmd_entry cmd_trend_entry = {
	.name = "trend",
	.summary = "norms and relative changes of tensors over a training run's checkpoints",
	.usage = usage,
	.optstring = ":i:x:fw:h",
	.options = opts,
	.exec = cmd_trend,
};
