/* Fuzz target: the legacy V1 reader (one table file of SavedTensorSlices). Input: the file.
 * Every tensor is verified and read whole when small, through the same bundle API as V2. */
#include <assert.h>

#include "format/bundle.h"
#include "format/v1.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *path;
	struct bundle *b;
	struct ck_err err;
	int rc;

	if (!path)
		path = xasprintf("%s/export", fuzz_dir());
	fuzz_write_table(path, data, size);
	rc = v1_open(&b, path, &err);
	if (rc < 0) {
		assert(rc == err.code && err.msg[0]);
		return 0;
	}
	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		struct buf whole = BUF_INIT;
		uint8_t head[16];

		rc = bundle_verify(b, e, &err);
		assert(rc == 0 || (rc == err.code && err.msg[0]));
		if (e->size <= 1 << 20) {
			rc = bundle_read(b, e, &whole, &err);
			assert(rc == 0 || (rc == err.code && err.msg[0]));
			assert(rc < 0 || whole.len == e->size);
		}
		if (e->size >= sizeof(head)) {
			rc = bundle_pread(b, e, e->size - sizeof(head), head, sizeof(head), &err);
			assert(rc == 0 || (rc == err.code && err.msg[0]));
		}
		buf_release(&whole);
	}
	bundle_free(b);
	return 0;
}
