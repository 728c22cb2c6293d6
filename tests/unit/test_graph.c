/* graph: .meta naming, hostile protobufs (deep nesting, truncation), and a graph built here
 * whose restore op, variables and placeholders are found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#include "base/util.h"
#include "format/graph.h"

static char dir[64];

static char *write_file(const char *name, const void *p, size_t n)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	fwrite(p, 1, n, f);
	fclose(f);
	return path;
}

static void field(struct buf *b, int num, const void *p, size_t n)
{
	put_varint64(b, (uint64_t)num << 3 | 2);
	put_varint64(b, n);
	buf_add(b, p, n);
}

static void field_str(struct buf *b, int num, const char *s)
{
	field(b, num, s, strlen(s));
}

static void field_msg(struct buf *b, int num, struct buf *m)
{
	field(b, num, m->p, m->len);
	buf_reset(m);
}

/* attr map entry {key, AttrValue} */
static void attr(struct buf *node, const char *key, struct buf *value)
{
	struct buf e = BUF_INIT;
	field_str(&e, 1, key);
	field_msg(&e, 2, value);
	field_msg(node, 5, &e);
	buf_release(&e);
}

static void test_meta_path(void)
{
	char *p = graph_meta_path("run/model.ckpt-1000");
	ok(!strcmp(p, "run/model.ckpt-1000.meta"), "prefix + .meta: %s", p);
	free(p);
	p = graph_meta_path("x/export-00000-of-00001");
	ok(!strcmp(p, "x/export.meta"), "V1 shard suffix dropped: %s", p);
	free(p);
	p = graph_meta_path("x/export-\?\?\?\?\?-of-00002");
	ok(!strcmp(p, "x/export.meta"), "V1 glob dropped: %s", p);
	free(p);
}

static void test_hostile(void)
{
	struct graph_file *g = NULL;
	struct ck_err err = { 0 };
	struct buf b = BUF_INIT, inner = BUF_INIT;
	char *path;
	int rc;

	/* AttrValue.func -> NameAttrList.attr -> entry.value -> AttrValue.func ... 5000 deep. */
	buf_add(&inner, "\x28\x01", 2);  /* AttrValue.b = true */
	for (int i = 0; i < 5000; i++) {
		struct buf nal = BUF_INIT, entry = BUF_INIT;
		field_str(&entry, 1, "k");
		field(&entry, 2, inner.p, inner.len);
		field(&nal, 2, entry.p, entry.len);
		buf_reset(&inner);
		field(&inner, 10, nal.p, nal.len);
		buf_release(&nal);
		buf_release(&entry);
	}
	{
		struct buf node = BUF_INIT, gd = BUF_INIT;
		field_str(&node, 1, "n");
		field_str(&node, 2, "Const");
		attr(&node, "value", &inner);
		field_msg(&gd, 1, &node);
		field_msg(&b, 2, &gd);
		buf_release(&node);
		buf_release(&gd);
	}
	path = write_file("deep.meta", b.p, b.len);
	rc = graph_open(&g, path, &err);
	ok(rc == CK_ECORRUPT && strstr(err.msg, "deep.meta"), "5000-deep nesting refused: %s", err.msg);
	graph_free(g);
	g = NULL;
	free(path);

	/* Truncated in the middle of a length-delimited field. */
	path = write_file("cut.meta", b.p, 50);
	rc = graph_open(&g, path, &err);
	ok(rc == CK_ECORRUPT, "truncated protobuf refused: %s", err.msg);
	graph_free(g);
	g = NULL;
	free(path);

	path = write_file("empty.meta", "", 0);
	rc = graph_open(&g, path, &err);
	ok(rc == CK_EKIND, "empty file: not a MetaGraphDef: %s", err.msg);
	graph_free(g);
	g = NULL;
	free(path);
	buf_release(&b);
	buf_release(&inner);
}

/* A small TF1 graph: placeholder x [?,3], variable w [3,2] (trainable), a partitioned variable
 * e (two parts of [4,2]), and a saver whose RestoreV2 reads "w" and "e" slices. */
static void test_built(void)
{
	struct buf mg = BUF_INIT, gd = BUF_INIT, node = BUF_INIT, v = BUF_INIT, t = BUF_INIT,
		   sh = BUF_INIT, d = BUF_INIT, coll = BUF_INIT, bl = BUF_INIT, vd = BUF_INIT,
		   e = BUF_INIT, tmp = BUF_INIT;
	struct graph_file *g = NULL;
	struct ck_err err = { 0 };
	char *path;

	/* shape [-1, 3] */
	put_varint64(&d, 8), put_varint64(&d, (uint64_t)-1);
	field_msg(&sh, 2, &d);
	put_varint64(&d, 8), put_varint64(&d, 3);
	field_msg(&sh, 2, &d);
	field_str(&node, 1, "x");
	field_str(&node, 2, "Placeholder");
	put_varint64(&v, 6 << 3), put_varint64(&v, 1);  /* type: DT_FLOAT */
	attr(&node, "dtype", &v);
	field(&v, 7, sh.p, sh.len);
	attr(&node, "shape", &v);
	field_msg(&gd, 1, &node);

	const char *vars[3] = { "w", "e/part_0", "e/part_1" };
	int64_t shapes[3][2] = { { 3, 2 }, { 2, 2 }, { 2, 2 } };
	for (int i = 0; i < 3; i++) {
		buf_reset(&sh);
		for (int k = 0; k < 2; k++) {
			put_varint64(&d, 8), put_varint64(&d, (uint64_t)shapes[i][k]);
			field_msg(&sh, 2, &d);
		}
		field_str(&node, 1, vars[i]);
		field_str(&node, 2, "VariableV2");
		put_varint64(&v, 6 << 3), put_varint64(&v, 101);  /* DT_FLOAT_REF */
		attr(&node, "dtype", &v);
		field(&v, 7, sh.p, sh.len);
		attr(&node, "shape", &v);
		field_msg(&gd, 1, &node);
	}
	/* Const string tensors for RestoreV2. */
	{
		const char *names[3] = { "w", "e", "e" }, *specs[3] = { "", "4 2 0,2:-", "4 2 2,2:-" };
		for (int which = 0; which < 2; which++) {
			buf_reset(&t);
			put_varint64(&t, 1 << 3), put_varint64(&t, 7);  /* DT_STRING */
			put_varint64(&d, 8), put_varint64(&d, 3);
			field_msg(&tmp, 2, &d);
			field_msg(&t, 2, &tmp);
			for (int k = 0; k < 3; k++)
				field_str(&t, 8, which ? specs[k] : names[k]);
			field_str(&node, 1, which ? "save/RestoreV2/shape_and_slices" : "save/RestoreV2/tensor_names");
			field_str(&node, 2, "Const");
			field(&v, 8, t.p, t.len);
			attr(&node, "value", &v);
			field_msg(&gd, 1, &node);
		}
	}
	field_str(&node, 1, "save/RestoreV2");
	field_str(&node, 2, "RestoreV2");
	field_str(&node, 3, "save/Const");
	field_str(&node, 3, "save/RestoreV2/tensor_names");
	field_str(&node, 3, "save/RestoreV2/shape_and_slices");
	{
		struct buf list = BUF_INIT, types = BUF_INIT;
		for (int k = 0; k < 3; k++)
			put_varint64(&types, 1);
		field(&list, 6, types.p, types.len);
		field_msg(&v, 1, &list);
		attr(&node, "dtypes", &v);
		buf_release(&list);
		buf_release(&types);
	}
	field_msg(&gd, 1, &node);
	/* A warm-start RestoreV2 outside the saver's scope: not what the saver restores. */
	field_str(&node, 1, "warm/RestoreV2");
	field_str(&node, 2, "RestoreV2");
	field_str(&node, 3, "warm/Const");
	field_str(&node, 3, "save/RestoreV2/tensor_names");
	field_str(&node, 3, "save/RestoreV2/shape_and_slices");
	field_msg(&gd, 1, &node);
	field_msg(&mg, 2, &gd);
	/* saver_def */
	field_str(&tmp, 3, "save/restore_all");
	put_varint64(&tmp, 7 << 3), put_varint64(&tmp, 2);
	field_msg(&mg, 3, &tmp);
	/* collections: trainable_variables = [w], variables = [w, e parts with SaveSliceInfoDef] */
	for (int c = 0; c < 2; c++) {
		for (int i = 0; i < (c ? 3 : 1); i++) {
			char name[32];
			snprintf(name, sizeof(name), "%s:0", vars[i]);
			field_str(&vd, 1, name);
			if (i) {
				struct buf si = BUF_INIT;
				field_str(&si, 1, "e");
				put_varint64(&si, 2 << 3), put_varint64(&si, 4);
				put_varint64(&si, 2 << 3), put_varint64(&si, 2);
				field_msg(&vd, 4, &si);
				buf_release(&si);
			}
			field_msg(&bl, 1, &vd);
		}
		field_msg(&coll, 2, &bl);
		field_str(&e, 1, c ? "variables" : "trainable_variables");
		field_msg(&e, 2, &coll);
		field_msg(&mg, 4, &e);
	}
	path = write_file("built.meta", mg.p, mg.len);
	ok(graph_open(&g, path, &err) == 0, "built graph opens %s", err.msg);
	if (g) {
		const struct graph_meta *m = &g->metas[0];
		is_int(m->ninputs, 1, "one input");
		ok(m->ninputs && !strcmp(m->inputs[0].tensor, "x:0") && m->inputs[0].shape.rank == 2 &&
		   m->inputs[0].shape.dims[0] == -1 && m->inputs[0].dtype == 1, "x:0 float32 [?,3]");
		is_int(m->nvars, 3, "three variables");
		ok(m->nvars == 3 && m->vars[0].trainable == 1 && m->vars[1].trainable == 0 &&
		   m->vars[0].dtype == 1, "w trainable float32 (ref stripped), e parts not trainable");
		ok(m->nvars == 3 && m->vars[1].full_name && m->vars[1].full_name_len == 1 &&
		   m->vars[1].full_rank == 2 && m->vars[1].full_dims[0] == 4, "e/part_0 is part of e [4,2]");
		is_int(m->nrestores, 3, "the saver's RestoreV2 only (warm start left out)");
		ok(m->nrestores == 3 && m->restores[0].shape.rank == 2 && m->restores[0].shape.dims[0] == 3,
		   "w's shape from the variable: rank 2");
		ok(m->nrestores == 3 && m->restores[1].shape.rank == 2 && m->restores[1].shape.dims[0] == 4 &&
		   m->restores[1].shape.dims[1] == 2, "e's full shape from its slice spec");
		ok(m->has_saver && m->saver_version == 2 && !strcmp(m->saver_restore, "save/restore_all"),
		   "saver V2, save/restore_all");
		/* The restore ops grouped: save (the saver_def's, checked) and warm (listed). */
		is_int(m->nsavers, 2, "two savers");
		ok(m->nsavers == 2 && !strcmp(m->savers[0].name, "save") && m->savers[0].selected &&
		   m->savers[0].nkeys == 2 && !strcmp(m->savers[1].name, "warm") &&
		   !m->savers[1].selected && !m->savers[1].initializer,
		   "save selected (2 keys: w, e), warm not");
		ok(m->restore_from == GR_SAVER_DEF, "keys from the saver_def's saver");
		ok(graph_select_saver(g, "warm", &err) == 0 && m->nrestores == 3 &&
		   m->restores[0].saver == 1 && m->restore_from == GR_CHOSEN && m->savers[1].selected &&
		   !m->savers[0].selected, "--saver warm: its 3 restores");
		ok(graph_select_saver(g, "nope", &err) == CK_ENOTFOUND && strstr(err.msg, "save, warm"),
		   "unknown saver: an error naming the savers (%s)", err.msg);
		graph_free(g);
	}
	free(path);
	buf_release(&mg), buf_release(&gd), buf_release(&node), buf_release(&v), buf_release(&t);
	buf_release(&sh), buf_release(&d), buf_release(&coll), buf_release(&bl), buf_release(&vd);
	buf_release(&e), buf_release(&tmp);
}

int main(void)
{
	char *cmd;

	snprintf(dir, sizeof(dir), "%s", "/tmp/ckpt-test-graph.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_meta_path();
	test_hostile();
	test_built();
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	free(cmd);
	return tap_done();
}
