/* rename: the engine without the CLI. Name rules rename, count and collide; a rule that
 * empties a name or makes the object graph's key is an error; mapping rules rename and drop,
 * report what they leave unexplained, and refuse to change data; --full-names needs a graph. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "edit/rename.h"
#include "tap.h"

static char dir[] = "/tmp/ckpt-test-rename-XXXXXX";
static char prefix[300];

static void make(void)
{
	struct bundle_writer *w;
	struct ck_err err;
	float v[3] = { 1, 2, 3 };
	int64_t d[1] = { 3 };

	if (bundle_writer_open(&w, prefix, 1, BW_FORCE | BW_NO_SYNC, &err) < 0)
		tap_bail(err.msg);
	bundle_writer_add(w, "dense/bias", 10, DT_FLOAT, d, 1, 0, v, sizeof(v));
	bundle_writer_add(w, "dense/bias/Adam", 15, DT_FLOAT, d, 1, 0, v, sizeof(v));
	bundle_writer_add(w, "dense/kernel", 12, DT_FLOAT, d, 1, 0, v, sizeof(v));
	bundle_writer_add(w, "step", 4, DT_FLOAT, d, 1, 0, v, sizeof(v));
	if (bundle_writer_finish(w, &err) < 0)
		tap_bail(err.msg);
}

static int has(const char *s, const char *sub)
{
	return s && strstr(s, sub) != NULL;
}

/* The new name of the entry called old, or "" when it keeps its name. */
static const char *new_name(const struct rename_map *m, const struct bundle *b, const char *old)
{
	static char s[200];
	const struct bundle_entry *e = bundle_find(b, old, strlen(old));
	size_t i = (size_t)(e - b->entries);

	if (!e || !m->changed[i])
		return "";
	snprintf(s, sizeof(s), "%.*s", (int)m->names[i].len, (const char *)m->names[i].p);
	return s;
}

/* Name rules given as typed on the command line (-e). */
static void rules_of(struct rules *r, const char *const *v)
{
	struct ck_err err;

	rules_init(r);
	for (; *v; v++)
		if (rules_parse(r, *v, &err) < 0)
			tap_bail(err.msg);
}

static void test_rules(struct surg_input *in)
{
	static const char *const ren[] = { "s,^dense/,layer/,", "nothing=matched", NULL };
	static const char *const same[] = { "s,^dense/bias.*,one,", NULL };
	static const char *const empty[] = { "s,^step$,,", NULL };
	static const char *const graph[] = { "s,^step$,_CHECKPOINTABLE_OBJECT_GRAPH,", NULL };
	struct rename_map m;
	struct surg_plan plan;
	struct rules r;
	struct ck_err err;

	rules_of(&r, ren);
	is_int(rename_map_init(&m, in, 0, &err), 0, "rules: started from the keys");
	is_int(rename_map_rules(&m, in, &r, &err), 0, "rules: applied");
	is_int(m.nchanged, 3, "rules: three renamed");
	ok(!strcmp(new_name(&m, in->b, "dense/kernel"), "layer/kernel"), "rules: the new name");
	ok(!strcmp(new_name(&m, in->b, "step"), ""), "rules: a name no rule matches is kept");
	ok(r.v[0].hits == 3 && r.v[1].hits == 0, "rules: hits counted for the caller's warnings");
	surg_plan_init(&plan, in, 1);
	is_int(rename_map_plan(&m, in, &plan, &err), 0, "rules: planned");
	is_int(plan.n, 4, "rules: every tensor in the plan");
	surg_plan_release(&plan);
	rename_map_release(&m);
	rules_release(&r);

	rules_of(&r, same);
	rename_map_init(&m, in, 0, &err);
	rename_map_rules(&m, in, &r, &err);
	surg_plan_init(&plan, in, 1);
	ok(rename_map_plan(&m, in, &plan, &err) == CK_EUSAGE &&
	   has(err.msg, "these renames collide") && has(err.msg, "\"dense/bias\", \"dense/bias/Adam\" -> \"one\""),
	   "collision: an error naming both tensors and the name");
	surg_plan_release(&plan);
	rename_map_release(&m);
	rules_release(&r);

	rules_of(&r, empty);
	rename_map_init(&m, in, 0, &err);
	ok(rename_map_rules(&m, in, &r, &err) == CK_EUSAGE &&
	   has(err.msg, "the rules leave these names empty:\n  \"step\""),
	   "empty: an error listing the name");
	rename_map_release(&m);
	rules_release(&r);

	rules_of(&r, graph);
	rename_map_init(&m, in, 0, &err);
	ok(rename_map_rules(&m, in, &r, &err) == CK_EUSAGE && has(err.msg, "the object graph's own key"),
	   "graph key: an error");
	rename_map_release(&m);
	rules_release(&r);
}

static void load(struct maprules *mr, const char *const *lines)
{
	struct ck_err err;

	maprules_init(mr);
	for (size_t n = 0; lines[n]; n++)
		if (maprules_parse_line(mr, lines[n], "r", n + 1, &err) < 0)
			tap_bail(err.msg);
}

static void test_maprules(struct surg_input *in)
{
	static const char *const ren[] = { "drop optimizer", "s,^dense/,layer/,", "drop ^zzz$", NULL };
	static const char *const data[] = { "transpose kernel T", NULL };
	struct rename_map m;
	struct maprules mr;
	struct surg_plan plan;
	struct ck_err err;

	load(&mr, ren);
	rename_map_init(&m, in, 0, &err);
	is_int(rename_map_maprules(&m, in, &mr, &err), 0, "maprules: applied");
	is_int(m.nchanged, 2, "maprules: two renamed");
	ok(m.dropped[bundle_find(in->b, "dense/bias/Adam", 15) - in->b->entries],
	   "maprules: optimizer state dropped");
	is_int(m.nproblems, 2, "maprules: two problems");
	ok(has((const char *)m.problems.p, "\"step\": no rule accounts for it") &&
	   has((const char *)m.problems.p, "r:3: rule 'drop ^zzz$' matches no tensor"),
	   "maprules: an unaccounted tensor and an unused rule listed");
	surg_plan_init(&plan, in, 1);
	is_int(rename_map_plan(&m, in, &plan, &err), 0, "maprules: planned");
	is_int(plan.n, 3, "maprules: the dropped tensor left out");
	surg_plan_release(&plan);
	rename_map_release(&m);
	maprules_release(&mr);

	load(&mr, data);
	rename_map_init(&m, in, 0, &err);
	ok(rename_map_maprules(&m, in, &mr, &err) == CK_EUSAGE &&
	   has(err.msg, "rename never changes data"), "maprules: a transpose is refused");
	rename_map_release(&m);
	maprules_release(&mr);

	ok(rename_map_init(&m, in, 1, &err) == CK_EUSAGE && has(err.msg, "no TF2 object graph"),
	   "full names: a checkpoint without an object graph is an error");
	rename_map_release(&m);
}

int main(void)
{
	struct surg_input in = { 0 };
	struct ck_err err;
	char cmd[400];

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(prefix, sizeof(prefix), "%s/model.ckpt", dir);
	make();
	if (surg_input_open(&in, prefix, &err) < 0)
		tap_bail(err.msg);
	test_rules(&in);
	test_maprules(&in);
	surg_input_release(&in);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
