/* Fuzz target: .npz archives (libzip) and the .npy members in them, as ckpt import reads them.
 * Input: the bytes of the archive. Each member name is decoded (and must encode back to a
 * plain member name that decodes to the same bytes), its .npy header parsed and up to 1 MiB
 * of its data read to the end of the member, where libzip checks the CRC. */
#include <assert.h>

#include "tensor/npy.h"
#include "tensor/npz.h"
#include "fuzz.h"

static long long member_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	return npz_member_read(ctx, p, n, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *path;
	static uint8_t chunk[65536];
	struct npz_reader *r;
	struct ck_err err;
	int rc;

	if (!path)
		path = xasprintf("%s/a.npz", fuzz_dir());
	fuzz_write(path, data, size);
	rc = npz_open(&r, path, &err);
	if (rc < 0) {
		assert(rc == err.code && err.msg[0]);
		return 0;
	}
	for (size_t i = 0; i < npz_count(r) && i < 64; i++) {
		const char *name = npz_name(r, i);
		struct buf tensor = BUF_INIT, member = BUF_INIT, back = BUF_INIT;
		struct npy_info a;
		uint64_t left = 1 << 20;
		long long got = 0;
		npz_name_decode(&tensor, name, strlen(name));
		npz_member_name(&member, tensor.p, tensor.len);
		npz_name_decode(&back, (const char *)member.p, member.len - 4);
		assert(back.len == tensor.len && (!tensor.len || !memcmp(back.p, tensor.p, tensor.len)));
		buf_release(&tensor);
		buf_release(&member);
		buf_release(&back);
		if (npz_member_open(r, i, &err) < 0)
			continue;
		rc = npy_read_header(member_read, r, &a, &err);
		assert(rc == 0 || (rc == err.code && err.msg[0]));
		while (left && (got = npz_member_read(r, chunk, sizeof(chunk), &err)) > 0)
			left -= (uint64_t)got < left ? (uint64_t)got : left;
		assert(got >= 0 || (got == err.code && err.msg[0]));
		npz_member_close(r);
	}
	npz_close(r);
	return 0;
}
