/* import: the engine without the CLI. A folder of .npy files (one in Fortran order, one big-
 * endian, one in a subfolder, one that is not an array) is recognised and imported: the
 * checkpoint holds each array under its path, in C order and the host's byte order; the
 * filter leaves names out; what is not an .npy or a checkpoint's .index is refused by kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/bundle.h"
#include "format/dtype.h"
#include "edit/import.h"
#include "tap.h"

static char dir[] = "/tmp/ckpt-test-import-XXXXXX";

static void put(const char *rel, const char *header_dict, const void *data, size_t n)
{
	char path[400];
	char magic[10] = "\x93NUMPY\x01\x00";
	size_t hl = strlen(header_dict) + 1, pad = (64 - (10 + hl) % 64) % 64;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "wb");
	if (!f) {
		printf("Bail out! %s\n", path);
		exit(1);
	}
	magic[8] = (char)((hl + pad) & 0xff);
	magic[9] = (char)((hl + pad) >> 8);
	fwrite(magic, 1, 10, f);
	fputs(header_dict, f);
	for (size_t i = 0; i < pad; i++)
		fputc(' ', f);
	fputc('\n', f);
	fwrite(data, 1, n, f);
	fclose(f);
}

/* The float32 elements of name in the checkpoint, into v (n of them). */
static int floats(struct bundle *b, const char *name, float *v, size_t n)
{
	const struct bundle_entry *e = bundle_find(b, name, strlen(name));
	struct buf out = BUF_INIT;
	struct ck_err err;
	int ok_ = e && e->dtype == DT_FLOAT && e->elements == n && bundle_read(b, e, &out, &err) == 0 &&
		  out.len == n * 4;

	if (ok_)
		memcpy(v, out.p, n * 4);
	buf_release(&out);
	return ok_;
}

int main(void)
{
	float c[6] = { 0, 1, 2, 3, 4, 5 }, got[6];
	/* [2,3] in Fortran order: column by column */
	float fo[6] = { 0, 3, 1, 4, 2, 5 };
	uint8_t be[8] = { 0x3f, 0x80, 0, 0, 0x40, 0, 0, 0 };  /* 1.0f, 2.0f big-endian */
	struct importer im = { 0 };
	struct bundle *b = NULL;
	struct ck_err err;
	enum import_kind k;
	char sub[400], out[400], cmd[500];

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(sub, sizeof(sub), "%s/in", dir);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/in/layer", dir);
	mkdir(sub, 0755);
	put("in/c.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", c, sizeof(c));
	put("in/f.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", fo, sizeof(fo));
	put("in/layer/be.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", be, 8);
	put("in/skip.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", c, sizeof(c));

	snprintf(sub, sizeof(sub), "%s/in", dir);
	ok(import_sniff(sub, &k, &err) == 0 && k == IMPORT_DIR, "sniff: a folder");
	snprintf(sub, sizeof(sub), "%s/in/c.npy", dir);
	ok(import_sniff(sub, &k, &err) == 0 && k == IMPORT_NPY, "sniff: an .npy file");
	snprintf(sub, sizeof(sub), "%s/x.index", dir);
	{
		FILE *f = fopen(sub, "wb");
		fputs("not a checkpoint index", f);
		fclose(f);
	}
	ok(import_sniff(sub, &k, &err) == CK_EKIND && strstr(err.msg, "'ckpt export' writes these"),
	   "sniff: a checkpoint's .index is refused with a hint");

	snprintf(out, sizeof(out), "%s/out/model.ckpt", dir);
	if (bundle_writer_open(&im.w, out, 1, BW_MKDIR | BW_NO_SYNC, &err) < 0)
		tap_bail(err.msg);
	if (namefilter_add(&im.filter, "^skip$", 1, &err) < 0)
		tap_bail(err.msg);
	snprintf(sub, sizeof(sub), "%s/in", dir);
	is_int(import_read(&im, sub, IMPORT_DIR, &err), 0, "read: the folder imported");
	is_int(im.tensors, 3, "read: three arrays, the excluded one left out");
	is_int(import_finish(&im, out, &err), 0, "finish: written");
	importer_release(&im);

	if (bundle_open(&b, out, &err) < 0)
		tap_bail(err.msg);
	is_int(b->ntensors, 3, "checkpoint: three tensors");
	ok(floats(b, "c", got, 6) && !memcmp(got, c, sizeof(c)), "checkpoint: c as written");
	ok(floats(b, "f", got, 6) && !memcmp(got, c, sizeof(c)), "checkpoint: f in C order");
	ok(floats(b, "layer/be", got, 2) && got[0] == 1 && got[1] == 2,
	   "checkpoint: layer/be, named by its path, in the host's byte order");
	bundle_free(b);

	snprintf(out, sizeof(out), "%s/none/model.ckpt", dir);
	memset(&im, 0, sizeof(im));
	if (bundle_writer_open(&im.w, out, 1, BW_MKDIR | BW_NO_SYNC, &err) < 0)
		tap_bail(err.msg);
	namefilter_add(&im.filter, "^nothing$", 0, &err);
	ok(import_read(&im, sub, IMPORT_DIR, &err) == CK_EUSAGE && strstr(err.msg, "no array to import"),
	   "read: nothing selected is an error");
	importer_release(&im);  /* aborts the writer: no output */
	snprintf(out, sizeof(out), "%s/none/model.ckpt.index", dir);
	ok(access(out, F_OK) != 0, "release: the aborted output is not there");

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
