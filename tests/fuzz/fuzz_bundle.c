/* Fuzz target: V2 bundle open and verification of every entry.
 * Input: index length (4 bytes LE) | index bytes | data bytes. The data bytes become every data
 * shard the header declares (up to 3; later ones are left missing), then each entry is
 * verified, read whole when small, streamed, and its strings split (also when the CRC does
 * not match, so that the splitter sees mutated layouts). Index block checksums are repaired
 * by the harness for most inputs (fuzz_fix_table). */
#include <assert.h>

#include "format/bundle.h"
#include "format/dtype.h"
#include "fuzz.h"

static int count_string(void *ctx, uint64_t i, const uint8_t *s, size_t len)
{
	(void)i;
	(void)s;
	*(uint64_t *)ctx += len;
	return 0;
}

static void check_err(int rc, const struct ck_err *err)
{
	if (rc < 0 && (rc != err->code || !err->msg[0])) {
		fprintf(stderr, "error %d without its message (code %d)\n", rc, err->code);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *prefix, *index;
	struct bundle *b;
	struct ck_err err;
	uint32_t n;
	int rc;

	if (!prefix) {
		prefix = xasprintf("%s/b", fuzz_dir());
		index = xasprintf("%s.index", prefix);
	}
	n = fuzz_take32(&data, &size);
	if (n > size)
		n = (uint32_t)size;
	fuzz_write_table(index, data, n);
	rc = bundle_open(&b, prefix, &err);
	check_err(rc, &err);
	if (rc < 0)
		return 0;
	for (int s = 0; s < b->num_shards && s < 3; s++) {
		char *path = bundle_shard_path(b, s);
		if (s < 2)
			fuzz_write(path, data + n, size - n);
		else
			unlink(path);
		free(path);
	}
	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		struct buf whole = BUF_INIT;
		struct tensor_stream ts;
		uint8_t chunk[97];
		long long got;
		uint64_t total = 0;

		assert(bundle_find(b, e->name, e->name_len) == e);
		rc = bundle_verify(b, e, &err);
		check_err(rc, &err);
		if (e->size <= 1 << 16) {
			int r2 = bundle_read(b, e, &whole, &err);
			check_err(r2, &err);
			/* Verification and a whole read agree on the payload's validity. */
			if (e->dtype != DT_VARIANT && (rc < 0) != (r2 < 0)) {
				fprintf(stderr, "verify %d but read %d for entry %zu\n", rc, r2, i);
				abort();
			}
			if (r2 == 0) {
				assert(whole.len == e->size);
				if (e->dtype == DT_STRING) {
					uint64_t sum = 0;
					int r3 = bundle_strings(whole.p, whole.len, e->elements,
								count_string, &sum, &err);
					check_err(r3, &err);
					assert(r3 < 0 || sum <= whole.len);
				}
			}
		}
		buf_release(&whole);
		if (e->dtype == DT_STRING && !e->nslices && e->size <= 1 << 16) {
			/* The element splitter over payload bytes whose CRC does not match. */
			uint8_t *raw = xmalloc((size_t)e->size);  /* exact size: overreads are caught */
			if (bundle_pread(b, e, 0, raw, (size_t)e->size, &err) == 0) {
				uint64_t sum = 0;
				int r3 = bundle_strings(raw, (size_t)e->size, e->elements, count_string,
							&sum, &err);
				check_err(r3, &err);
				assert(r3 < 0 || sum <= e->size);
			}
			free(raw);
		}
		if (tensor_stream_open(&ts, b, e, &err) == 0) {
			while ((got = tensor_stream_read(&ts, chunk, sizeof(chunk), &err)) > 0)
				total += (uint64_t)got;
			check_err((int)got, &err);
			assert(got < 0 || total == e->size);
		}
	}
	bundle_free(b);
	return 0;
}
