/* tabletool: test helper over ckpt's table code.
 *   tabletool keys FILE      every key as "hex(key) value-length", as leveldb_keys prints them
 *   tabletool rebuild FILE   rebuild the table from its entries with TF's settings and say
 *                            "identical" if the bytes equal FILE's (tries Snappy only if FILE
 *                            has compressed blocks), else "differs at byte N"; also checks that
 *                            re-encoding each bundle entry with protobuf-c gives the same bytes
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "format/table.h"
#include "tensor_bundle.pb-c.h"

struct kv {
	uint8_t *k, *v;
	size_t kn, vn;
};

static void free_kv(struct kv *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].k);
		free(e[i].v);
	}
	free(e);
}

static int load(const char *path, struct kv **out, size_t *n)
{
	struct table *t;
	struct table_iter *it;
	struct ck_err err;
	const uint8_t *k, *v;
	size_t kn, vn, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (table_open(&t, path, &err) < 0) {
		fprintf(stderr, "tabletool: %s\n", err.msg);
		return -1;
	}
	it = table_iter_new(t);
	while ((rc = table_iter_next(it, &k, &kn, &v, &vn, &err)) == 1) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = xreallocarray(*out, cap, sizeof(**out));
		}
		(*out)[*n].k = xmemdup(k, kn);
		(*out)[*n].kn = kn;
		(*out)[*n].v = xmemdup(v, vn);
		(*out)[*n].vn = vn;
		(*n)++;
	}
	if (rc < 0) {
		fprintf(stderr, "tabletool: %s\n", err.msg);
		free_kv(*out, *n);
		*out = NULL;
		*n = 0;
	}
	table_iter_free(it);
	table_free(t);
	return rc;
}

static int rebuild(const char *path, const struct kv *e, size_t n, int snappy, size_t *diff_at)
{
	struct buf out = BUF_INIT, orig = BUF_INIT;
	struct table_builder tb;
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t r;
	int same;

	while (f && (r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&orig, chunk, r);
	if (f)
		fclose(f);
	table_builder_init(&tb, &out);
	tb.snappy = snappy;
	for (size_t i = 0; i < n; i++)
		table_builder_add(&tb, e[i].k, e[i].kn, e[i].v, e[i].vn);
	table_builder_finish(&tb, NULL);
	table_builder_release(&tb);
	*diff_at = 0;
	while (*diff_at < out.len && *diff_at < orig.len && out.p[*diff_at] == orig.p[*diff_at])
		(*diff_at)++;
	same = out.len == orig.len && *diff_at == out.len;
	buf_release(&out);
	buf_release(&orig);
	return same;
}

/* Unpack and re-pack every bundle header/entry: TF writes them in canonical form. */
static int reencode(const struct kv *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t *p;
		size_t len;
		int same;
		if (i == 0 && e[i].kn == 0) {
			Tensorflow__BundleHeaderProto *h =
				tensorflow__bundle_header_proto__unpack(NULL, e[i].vn, e[i].v);
			if (!h)
				return 0;
			len = tensorflow__bundle_header_proto__get_packed_size(h);
			p = xmalloc(len + 1);
			tensorflow__bundle_header_proto__pack(h, p);
			tensorflow__bundle_header_proto__free_unpacked(h, NULL);
		} else {
			Tensorflow__BundleEntryProto *b =
				tensorflow__bundle_entry_proto__unpack(NULL, e[i].vn, e[i].v);
			if (!b)
				return 0;
			len = tensorflow__bundle_entry_proto__get_packed_size(b);
			p = xmalloc(len + 1);
			tensorflow__bundle_entry_proto__pack(b, p);
			tensorflow__bundle_entry_proto__free_unpacked(b, NULL);
		}
		same = len == e[i].vn && !memcmp(p, e[i].v, len);
		free(p);
		if (!same)
			return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct kv *e;
	size_t n, at1, at2;
	int rc = 2;

	if (argc != 3 || load(argv[2], &e, &n) < 0) {
		if (argc != 3)
			fprintf(stderr, "usage: tabletool keys|rebuild FILE\n");
		return 2;
	}
	if (!strcmp(argv[1], "keys")) {
		for (size_t i = 0; i < n; i++) {
			for (size_t k = 0; k < e[i].kn; k++)
				printf("%02x", e[i].k[k]);
			printf(" %zu\n", e[i].vn);
		}
		rc = 0;
	}
	if (!strcmp(argv[1], "rebuild")) {
		if (rebuild(argv[2], e, n, 0, &at1))
			printf("identical");
		else if (rebuild(argv[2], e, n, 1, &at2))
			printf("identical (snappy)");
		else
			printf("differs at byte %zu", at1 > at2 ? at1 : at2);
		printf(", entries %s\n", reencode(e, n) ? "re-encode identically" : "re-encode differently");
		rc = 0;
	}
	free_kv(e, n);
	return rc;
}
