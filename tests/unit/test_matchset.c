/* matchset: names files (text lines and JSON), as `ckpt match` reads a target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/dtype.h"
#include "edit/matchset.h"
#include "tap.h"

static int parse(struct matchset *m, const char *text, struct ck_err *err)
{
	memset(m, 0, sizeof(*m));
	return matchset_parse_names(m, "names.txt", text, strlen(text), err);
}

static int name_is(const struct matchset *m, size_t i, const char *s)
{
	return i < m->n && m->items[i].len == strlen(s) && !memcmp(m->items[i].name, s, m->items[i].len);
}

int main(void)
{
	struct matchset m;
	struct ck_err err;

	ok(parse(&m, "# comment\n  a/kernel float32 [784, 128]\r\nb\n\nname with spaces int64 []\n"
		     "c [?,10]\nd None\ne float32 [None,3]\n_CHECKPOINTABLE_OBJECT_GRAPH\n", &err) == 0,
	   "text names parse");
	is_int(m.n, 6, "six names (comments, blank lines and the object graph skipped)");
	ok(name_is(&m, 0, "a/kernel") && m.items[0].dtype == DT_FLOAT && m.items[0].rank == 2 &&
	   m.items[0].dims[0] == 784 && m.items[0].dims[1] == 128, "name, dtype and shape");
	ok(name_is(&m, 1, "b") && m.items[1].dtype == 0 && m.items[1].rank == -1, "a bare name: unknown");
	ok(name_is(&m, 2, "name with spaces") && m.items[2].dtype == DT_INT64 && m.items[2].rank == 0,
	   "spaces inside a name; a scalar");
	ok(name_is(&m, 3, "c") && m.items[3].rank == 2 && m.items[3].dims[0] == -1 &&
	   m.items[3].dims[1] == 10, "? is an unknown size");
	ok(name_is(&m, 4, "d None"), "a word that is no dtype stays in the name");
	ok(name_is(&m, 5, "e") && m.items[5].dims[0] == -1, "None in a shape");
	matchset_release(&m);

	ok(parse(&m, "x float32 [1,\n y [99999999999999999999]\nz[3]\n", &err) == 0, "odd shapes");
	ok(name_is(&m, 0, "x float32 [1,") && m.items[0].rank == -1, "an unclosed shape is part of the name");
	ok(name_is(&m, 1, "y [99999999999999999999]") && m.items[1].rank == -1, "an overflowing size is not a shape");
	ok(name_is(&m, 2, "z[3]"), "brackets inside a name");
	matchset_release(&m);

	ok(parse(&m, "{\"tensors\": [{\"name\": \"k\", \"dtype\": \"float32\", \"shape\": [2, null]},"
		     " {\"name\": \"_CHECKPOINTABLE_OBJECT_GRAPH\"}]}", &err) == 0, "ckpt list --json");
	ok(m.n == 1 && name_is(&m, 0, "k") && m.items[0].dtype == DT_FLOAT && m.items[0].rank == 2 &&
	   m.items[0].dims[0] == 2 && m.items[0].dims[1] == -1, "its name, dtype and shape");
	matchset_release(&m);
	ok(parse(&m, "[\"a\", \"b\"]", &err) == 0 && m.n == 2 && name_is(&m, 1, "b"), "a JSON array of names");
	matchset_release(&m);

	ok(parse(&m, "{\"tensors\": [{\"dtype\": 1}]}", &err) < 0 && err.code == CK_ECORRUPT,
	   "a tensor without a name: %s", err.msg);
	matchset_release(&m);
	ok(parse(&m, "{\"x\": 1}", &err) == CK_EKIND, "JSON without tensors: %s", err.msg);
	matchset_release(&m);
	ok(parse(&m, "{\"tensors\": [", &err) == CK_ECORRUPT, "broken JSON: %s", err.msg);
	matchset_release(&m);
	memset(&m, 0, sizeof(m));
	ok(matchset_parse_names(&m, "bin", "a\0b", 3, &err) == CK_EKIND, "a binary file: %s", err.msg);
	matchset_release(&m);
	return tap_done();
}
