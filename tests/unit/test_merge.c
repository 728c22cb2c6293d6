/* merge: the engine without the CLI. Two inputs sharing a name: an error listing both (input,
 * dtype, shape), or the first or the last input wins; name prefixes keep both; the plan holds
 * every other tensor once, sorted by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "edit/merge.h"
#include "tap.h"

static char dir[] = "/tmp/ckpt-test-merge-XXXXXX";
static char pa[300], pb[300];

/* a: shared [3], only_a [1]; b: shared [2] float64, only_b [1]. */
static void make(const char *prefix, int second)
{
	struct bundle_writer *w;
	struct ck_err err;
	double v[3] = { 1, 2, 3 };
	int64_t d3[1] = { 3 }, d2[1] = { 2 }, d1[1] = { 1 };

	if (bundle_writer_open(&w, prefix, 1, BW_FORCE | BW_NO_SYNC, &err) < 0)
		tap_bail(err.msg);
	if (second) {
		bundle_writer_add(w, "only_b", 6, DT_DOUBLE, d1, 1, 0, v, 8);
		bundle_writer_add(w, "shared", 6, DT_DOUBLE, d2, 1, 0, v, 16);
	} else {
		bundle_writer_add(w, "only_a", 6, DT_FLOAT, d1, 1, 0, v, 4);
		bundle_writer_add(w, "shared", 6, DT_FLOAT, d3, 1, 0, v, 12);
	}
	if (bundle_writer_finish(w, &err) < 0)
		tap_bail(err.msg);
}

/* The plan's names and, in brackets, the input each comes from: "only_a[0] shared[1] ...". */
static const char *plan_str(const struct surg_plan *p)
{
	static char s[400];
	size_t n = 0;

	s[0] = 0;
	for (size_t i = 0; i < p->n && n < sizeof(s) - 50; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%s%.*s[%zu]", i ? " " : "",
				      (int)p->items[i].name.len, (const char *)p->items[i].name.p,
				      p->items[i].input);
	return s;
}

static int run(struct surg_input *in, enum merge_conflict on, const char *want, const char *what)
{
	struct merge_plan m = { .in = in, .nin = 2, .on = on };
	struct surg_plan plan;
	struct ck_err err;
	int rc;

	surg_plan_init(&plan, in, 2);
	rc = merge_plan_build(&m, &plan, &err);
	if (rc == 0) {
		ok(!strcmp(plan_str(&plan), want), "%s: %s", what, want);
		if (strcmp(plan_str(&plan), want))
			printf("#   got %s\n", plan_str(&plan));
	} else {
		ok(!strcmp(err.msg, want), "%s: the error", what);
		if (strcmp(err.msg, want))
			printf("#   got %s\n", err.msg);
	}
	is_int(m.nconf, in[0].name_prefix ? 0 : 1, "%s: conflicts counted", what);
	merge_plan_release(&m);
	surg_plan_release(&plan);
	return rc;
}

/* n inputs, a and b in turn: their candidates, merged from n runs (an odd count leaves one
 * run over in a round), must come out as one sort of them all would. */
static void run_many(size_t n, enum merge_conflict on, const char *want)
{
	struct surg_input in[5] = { { 0 } };
	struct merge_plan m = { .in = in, .nin = n, .on = on };
	struct surg_plan plan;
	struct ck_err err;

	for (size_t i = 0; i < n; i++)
		if (surg_input_open(&in[i], i % 2 ? pb : pa, &err) < 0)
			tap_bail(err.msg);
	surg_plan_init(&plan, in, n);
	ok(merge_plan_build(&m, &plan, &err) == 0 && !strcmp(plan_str(&plan), want),
	   "%zu inputs, %s wins: %s", n, on == MERGE_ON_FIRST ? "first" : "last", want);
	if (strcmp(plan_str(&plan), want))
		printf("#   got %s\n", plan_str(&plan));
	is_int(m.nconf, n > 3 ? 3 : 2, "%zu inputs: names in several counted", n);
	merge_plan_release(&m);
	surg_plan_release(&plan);
	for (size_t i = 0; i < n; i++)
		surg_input_release(&in[i]);
}

int main(void)
{
	struct surg_input in[2] = { { 0 }, { 0 } };
	struct ck_err err;
	char cmd[400], want[800];

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(pa, sizeof(pa), "%s/a.ckpt", dir);
	snprintf(pb, sizeof(pb), "%s/b.ckpt", dir);
	make(pa, 0);
	make(pb, 1);
	if (surg_input_open(&in[0], pa, &err) < 0 || surg_input_open(&in[1], pb, &err) < 0)
		tap_bail(err.msg);
	snprintf(want, sizeof(want), "1 name is in several inputs (use --on-conflict first|last to "
		 "choose):\n  \"shared\": %s float32 [3] vs %s float64 [2]", pa, pb);
	is_int(run(in, MERGE_ON_ERROR, want, "on error"), CK_EUSAGE, "on error: CK_EUSAGE");
	run(in, MERGE_ON_FIRST, "only_a[0] only_b[1] shared[0]", "first wins");
	run(in, MERGE_ON_LAST, "only_a[0] only_b[1] shared[1]", "last wins");
	in[0].name_prefix = "a/";
	in[1].name_prefix = "b/";
	run(in, MERGE_ON_ERROR, "a/only_a[0] a/shared[0] b/only_b[1] b/shared[1]", "prefixes");
	surg_input_release(&in[0]);
	surg_input_release(&in[1]);
	run_many(3, MERGE_ON_LAST, "only_a[2] only_b[1] shared[2]");
	run_many(3, MERGE_ON_FIRST, "only_a[0] only_b[1] shared[0]");
	run_many(5, MERGE_ON_LAST, "only_a[4] only_b[3] shared[4]");
	run_many(4, MERGE_ON_LAST, "only_a[2] only_b[3] shared[3]");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
