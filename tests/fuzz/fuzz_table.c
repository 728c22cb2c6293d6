/* Fuzz target: the table reader (open, iterate every key, look every key up again).
 * Input: the bytes of one table file. A table that iterates cleanly must also answer
 * table_get for each of its keys with the same value: v1.c finds slices that way.
 * Block checksums are repaired by the harness for most inputs (fuzz_fix_table). */
#include <assert.h>

#include "format/table.h"
#include "fuzz.h"

struct kv {
	struct buf key, val;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *path;
	struct table *t;
	struct table_iter *it;
	struct ck_err err;
	const uint8_t *k, *v;
	size_t kn, vn, n = 0;
	struct kv seen[64];
	int rc;

	if (!path)
		path = xasprintf("%s/t", fuzz_dir());
	fuzz_write_table(path, data, size);
	rc = table_open(&t, path, &err);
	if (rc < 0) {
		assert(rc == err.code && err.msg[0]);
		return 0;
	}
	it = table_iter_new(t);
	while ((rc = table_iter_next(it, &k, &kn, &v, &vn, &err)) == 1) {
		if (n < sizeof(seen) / sizeof(seen[0])) {
			memset(&seen[n], 0, sizeof(seen[n]));
			buf_add(&seen[n].key, k, kn);
			buf_add(&seen[n].val, v, vn);
			n++;
		}
	}
	assert(rc == 0 || (rc == err.code && err.msg[0]));
	table_iter_free(it);
	for (size_t i = 0; i < n; i++) {
		struct buf got = BUF_INIT;
		int r = table_get(t, seen[i].key.p, seen[i].key.len, &got, &err);
		if (rc == 0) {
			/* The whole table was valid: every key must be found again, unchanged. */
			if (r != 1 || got.len != seen[i].val.len ||
			    memcmp(got.p, seen[i].val.p, got.len)) {
				fprintf(stderr, "table_get(key %zu) = %d after a clean iteration: %s\n", i,
					r, r < 0 ? err.msg : "");
				abort();
			}
		}
		buf_release(&got);
		buf_release(&seen[i].key);
		buf_release(&seen[i].val);
	}
	{
		/* A lookup of a key that is not there (or is), over whatever the index says. */
		struct buf got = BUF_INIT;
		size_t m = size < 8 ? size : 8;
		int r = table_get(t, data, m, &got, &err);
		assert(r >= 0 || (r == err.code && err.msg[0]));
		buf_release(&got);
	}
	table_free(t);
	return 0;
}
