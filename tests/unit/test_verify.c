/* verify: the engine without the CLI. An intact checkpoint is OK with every byte checked; a
 * flipped byte in one payload is a problem naming that tensor, its data file and byte range;
 * a missing data file is a problem; a missing path is trouble, with the error. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "edit/verify.h"
#include "tap.h"

static char dir[] = "/tmp/ckpt-test-verify-XXXXXX";
static char prefix[300], data[320];

static void make(void)
{
	struct bundle_writer *w;
	struct ck_err err;
	float a[64], b[64];
	int64_t d[1] = { 64 };

	for (int i = 0; i < 64; i++)
		a[i] = (float)i, b[i] = (float)-i;
	if (bundle_writer_open(&w, prefix, 1, BW_FORCE | BW_NO_SYNC, &err) < 0)
		tap_bail(err.msg);
	bundle_writer_add(w, "a", 1, DT_FLOAT, d, 1, 0, a, sizeof(a));
	bundle_writer_add(w, "b", 1, DT_FLOAT, d, 1, 0, b, sizeof(b));
	if (bundle_writer_finish(w, &err) < 0)
		tap_bail(err.msg);
}

/* The byte offset of tensor name in the data file. */
static uint64_t offset_of(const char *name)
{
	struct bundle *b;
	struct ck_err err;
	uint64_t off;

	if (bundle_open(&b, prefix, &err) < 0)
		tap_bail(err.msg);
	off = bundle_find(b, name, strlen(name))->offset;
	bundle_free(b);
	return off;
}

static uint64_t last_done, calls;

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	last_done = done == total ? done : 0;
	calls++;
}

int main(void)
{
	struct verify_report r;
	char cmd[400], range[64];
	uint64_t off;
	uint8_t byte;
	int fd;

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(prefix, sizeof(prefix), "%s/model.ckpt", dir);
	snprintf(data, sizeof(data), "%s.data-00000-of-00001", prefix);
	make();

	verify_checkpoint(prefix, &r, progress, NULL);
	is_int(r.status, VERIFY_OK, "intact: OK");
	is_int(r.np, 0, "intact: no problem");
	is_int(r.tensors, 2, "intact: two tensors");
	ok(r.bytes == 512 && r.total_bytes == 512, "intact: every byte checked");
	ok(calls > 0 && last_done == 512, "intact: progress reaches the total");
	verify_report_release(&r);

	off = offset_of("b");
	fd = open(data, O_RDWR);
	if (fd < 0 || pread(fd, &byte, 1, (off_t)off + 5) != 1)
		return printf("Bail out! %s\n", data), 1;
	byte ^= 0x40;
	if (pwrite(fd, &byte, 1, (off_t)off + 5) != 1)
		return printf("Bail out! write %s\n", data), 1;
	close(fd);
	verify_checkpoint(prefix, &r, NULL, NULL);
	is_int(r.status, VERIFY_DAMAGED, "flipped byte: damaged");
	ok(r.np == 1 && r.p[0].tensor && !strcmp(r.p[0].tensor, "b"), "flipped byte: tensor b named");
	ok(r.np == 1 && r.p[0].file && !strcmp(r.p[0].file, data), "flipped byte: its data file named");
	snprintf(range, sizeof(range), "%llu..%llu", (unsigned long long)off,
		 (unsigned long long)off + 256);
	ok(r.np == 1 && r.p[0].has_range && r.p[0].offset == off && r.p[0].end == off + 256,
	   "flipped byte: its byte range %s", range);
	ok(r.bytes == 256, "flipped byte: the other tensor intact");
	verify_report_release(&r);

	unlink(data);
	verify_checkpoint(prefix, &r, NULL, NULL);
	is_int(r.status, VERIFY_DAMAGED, "missing data file: damaged");
	ok(r.np >= 1 && strstr(r.p[0].msg, "data shard 1 of 1 is missing"),
	   "missing data file: said so");
	verify_report_release(&r);

	snprintf(cmd, sizeof(cmd), "%s/none", dir);
	verify_checkpoint(cmd, &r, NULL, NULL);
	ok(r.status == VERIFY_TROUBLE && r.error && r.np == 0, "missing path: trouble, with the error");
	verify_report_release(&r);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
