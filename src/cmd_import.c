/* ckpt import: a TF checkpoint (name-based, V2) from a .npz, a safetensors file or .npy files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assemble.h"
#include "bundle_writer.h"
#include "cli.h"
#include "cmds.h"
#include "crc32c.h"
#include "dtype.h"
#include "npy.h"
#include "npz.h"
#include "output.h"
#include "safetensors.h"
#include "surgery.h"
#include "xform.h"
#include "infile.h"

const char cmd_import_usage[] =
"usage: ckpt import -o OUT [-f] [--include REGEX]... [--exclude REGEX]... [--json]\n"
"                   [--no-sync] FILE.npz|FILE.safetensors|FILE.npy|DIR\n"
"\n"
"Write OUT, a TensorFlow checkpoint (V2, name-based as tf.compat.v1.train.Saver and\n"
"tf.train.load_checkpoint read it) holding the arrays of a NumPy .npz archive (stored or\n"
"compressed members 'NAME.npy'), a safetensors file, one .npy file, or a folder of .npy\n"
"files (searched recursively: DIR/a/b.npy becomes the tensor 'a/b'). Tensor names are the\n"
"member, key or file names without '.npy'. Arrays are streamed, except Fortran-ordered and\n"
"string arrays, which are reordered or decoded in memory. NUL bytes that pad the elements of\n"
"byte-string arrays are removed, except from a TF2 object graph (_CHECKPOINTABLE_OBJECT_GRAPH),\n"
"which keeps all its bytes.\n"
"\n"
"Types: bool, (u)int8-64, float16/32/64, complex64/128 and byte strings ('S', and 'U' as\n"
"UTF-8) from NumPy; safetensors' BF16 and F8_E5M2/F8_E4M3 become bfloat16 and float8. The\n"
"result of 'ckpt export' imports back bit for bit.\n"
"\n"
"Options:\n"
"  -o, --output OUT       prefix of the new checkpoint (its folder is created if missing)\n"
"  -f, --force            replace OUT if it exists\n"
"  -i, --include REGEX    import only names matching REGEX (POSIX ERE; repeatable)\n"
"  -x, --exclude REGEX    leave out names matching REGEX (repeatable)\n"
"      --no-sync          do not wait for OUT to reach the disk (faster for scratch\n"
"                         outputs; a machine crash soon after may lose it)\n"
"      --json             print the summary as JSON\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 success, 2 trouble.\n";

enum { OPT_JSON = 256, OPT_NO_SYNC };

#define CHUNK_BYTES (1u << 20)

/* A byte stream an array is read from. */
struct source {
	long long (*read)(void *ctx, void *p, size_t n, struct ck_err *err);
	void *ctx;
};

struct importer {
	struct bundle_writer *w;
	struct namefilter filter;
	const char *file;      /* the input, for messages */
	size_t tensors;
	uint64_t bytes;
	struct buf notes;
};

static int read_exact(const struct source *s, void *p, size_t n, struct ck_err *err)
{
	uint8_t *q = p;

	while (n) {
		long long got = s->read(s->ctx, q, n, err);
		if (got < 0)
			return (int)got;
		if (!got)
			return ck_error(err, CK_ECORRUPT, "array data ends early");
		q += got;
		n -= (size_t)got;
	}
	return 0;
}

/* Column-major elements (dims d0..dk) into row-major order. */
static void from_fortran(const uint8_t *in, uint8_t *out, const struct npy_info *a)
{
	int64_t idx[NPY_MAX_RANK] = { 0 };
	size_t w = a->itemsize;

	for (uint64_t i = 0; i < a->elements; i++) {  /* i: row-major position */
		uint64_t f = 0;
		for (int d = a->rank - 1; d >= 0; d--)
			f = f * (uint64_t)a->dims[d] + (uint64_t)idx[d];
		memcpy(out + i * w, in + f * w, w);
		for (int d = a->rank - 1; d >= 0; d--) {
			if (++idx[d] < a->dims[d])
				break;
			idx[d] = 0;
		}
	}
}

static void put_utf8(struct buf *b, uint32_t c)
{
	if (c < 0x80) {
		buf_addc(b, (uint8_t)c);
	} else if (c < 0x800) {
		buf_addc(b, (uint8_t)(0xc0 | c >> 6));
		buf_addc(b, (uint8_t)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		buf_addc(b, (uint8_t)(0xe0 | c >> 12));
		buf_addc(b, (uint8_t)(0x80 | (c >> 6 & 0x3f)));
		buf_addc(b, (uint8_t)(0x80 | (c & 0x3f)));
	} else {
		buf_addc(b, (uint8_t)(0xf0 | c >> 18));
		buf_addc(b, (uint8_t)(0x80 | (c >> 12 & 0x3f)));
		buf_addc(b, (uint8_t)(0x80 | (c >> 6 & 0x3f)));
		buf_addc(b, (uint8_t)(0x80 | (c & 0x3f)));
	}
}

/* 'S' and 'U' arrays: fixed-width, NUL-padded elements -> DT_STRING. */
static int add_strings(struct importer *im, const char *name, size_t name_len,
		       const struct npy_info *a, const uint8_t *data, struct ck_err *err)
{
	const uint8_t **p = xcalloc((size_t)a->elements + 1, sizeof(*p));
	size_t *len = xcalloc((size_t)a->elements + 1, sizeof(*len));
	struct buf utf8 = BUF_INIT;
	size_t *start = NULL;
	int graph = name_len == sizeof(OBJECT_GRAPH_KEY) - 1 && !memcmp(name, OBJECT_GRAPH_KEY, name_len);
	int rc = 0;

	if (a->kind == 'U')
		start = xcalloc((size_t)a->elements + 1, sizeof(*start));
	for (uint64_t i = 0; i < a->elements && !rc; i++) {
		const uint8_t *e = data + i * a->itemsize;
		size_t n = a->itemsize;
		if (a->kind == 'S') {
			/* NULs pad elements shorter than the width, except in the object graph: a
			 * serialized protobuf, whose last byte may well be a 0 */
			while (n && !e[n - 1] && !graph)
				n--;
			p[i] = e;
			len[i] = n;
			continue;
		}
		n /= 4;
		while (n) {  /* trailing NUL code points are padding */
			const uint8_t *c = e + 4 * (n - 1);
			if (c[0] | c[1] | c[2] | c[3])
				break;
			n--;
		}
		start[i] = utf8.len;
		for (size_t k = 0; k < n; k++) {
			const uint8_t *c = e + 4 * k;
			uint32_t cp = a->swap ? (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | c[2] << 8 | c[3]
					      : (uint32_t)c[3] << 24 | (uint32_t)c[2] << 16 | c[1] << 8 | c[0];
			if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
				rc = ck_error(err, CK_ECORRUPT, "array \"%s\": code point U+%X is not "
					      "valid Unicode", name, cp);
				break;
			}
			put_utf8(&utf8, cp);
		}
		len[i] = utf8.len - start[i];
	}
	if (a->kind == 'U')  /* pointers only now: the buffer no longer moves */
		for (uint64_t i = 0; i < a->elements; i++)
			p[i] = utf8.p + start[i];
	if (!rc && bundle_writer_add_strings(im->w, name, name_len, a->dims, a->rank, 0, p, len,
					     a->elements))
		rc = bundle_writer_status(im->w, err);
	buf_release(&utf8);
	free(start);
	free(p);
	free(len);
	return rc;
}

/* One array: its description a, its data read from s. */
static int add_array(struct importer *im, const char *name, size_t name_len,
		     const struct npy_info *a, const struct source *s, struct ck_err *err)
{
	struct bundle_entry e = { 0 };
	uint8_t *chunk = NULL, *all = NULL, *ordered = NULL;
	uint64_t left = a->data_bytes;
	uint32_t crc = 0;
	int rc = 0;

	if (a->dtype == DT_STRING || a->fortran) {
		if (a->data_bytes > SIZE_MAX / 2)
			return ck_error(err, CK_EUNSUP, "array \"%s\" too large to reorder in memory", name);
		all = xmalloc((size_t)a->data_bytes + 1);
		rc = read_exact(s, all, (size_t)a->data_bytes, err);
		if (rc < 0)
			goto out;
		if (a->fortran && a->rank > 1) {
			ordered = xmalloc((size_t)a->data_bytes + 1);
			from_fortran(all, ordered, a);
		}
		if (a->dtype == DT_STRING) {
			rc = add_strings(im, name, name_len, a, ordered ? ordered : all, err);
			goto done;
		}
	}
	e.name = (char *)name;
	e.name_len = name_len;
	e.dtype = a->dtype;
	e.rank = a->rank;
	e.dims = (int64_t *)a->dims;
	e.elements = a->elements;
	e.size = a->data_bytes;
	if (bundle_writer_begin(im->w, 0, &e.offset)) {
		rc = bundle_writer_status(im->w, err);
		goto out;
	}
	if (all) {  /* reordered in memory */
		uint8_t *p = ordered ? ordered : all;
		if (a->swap)
			swap_elements(a->dtype, p, a->elements);
		crc = crc32c_extend(0, p, (size_t)a->data_bytes);
		if (bundle_writer_write(im->w, 0, p, (size_t)a->data_bytes))
			rc = bundle_writer_status(im->w, err);
		left = 0;
	} else {
		chunk = xmalloc(CHUNK_BYTES);
	}
	while (left && !rc) {
		size_t n = left < CHUNK_BYTES ? (size_t)left : CHUNK_BYTES;
		n -= n % a->itemsize;  /* whole elements, for swapping */
		rc = read_exact(s, chunk, n, err);
		if (rc < 0)
			break;
		if (a->swap)
			swap_elements(a->dtype, chunk, n / a->itemsize);
		crc = crc32c_extend(crc, chunk, n);
		if (bundle_writer_write(im->w, 0, chunk, n))
			rc = bundle_writer_status(im->w, err);
		left -= n;
	}
	if (rc < 0)
		goto out;
	e.crc32c = crc32c_mask(crc);
	if (bundle_writer_add_entry(im->w, &e))
		rc = bundle_writer_status(im->w, err);
done:
	if (!rc) {
		im->tensors++;
		im->bytes += a->data_bytes;
	}
out:
	free(chunk);
	free(all);
	free(ordered);
	return rc;
}

/* --include / --exclude on a name that may lack a NUL terminator. */
static int wanted(const struct importer *im, const char *name, size_t len)
{
	char *copy = xmemdup(name, len);
	int yes = namefilter_match(&im->filter, copy);

	free(copy);
	return yes;
}

static int has_npy_suffix(const char *s, size_t n)
{
	return n > 4 && !memcmp(s + n - 4, ".npy", 4);
}

/* ---- .npz ---- */

static long long npz_src_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	return npz_member_read(ctx, p, n, err);
}

/* Read a member to its end: libzip checks the member's CRC only when it reaches it. Bytes
 * after the array are ignored, as numpy.load ignores them. */
static int drain(struct npz_reader *r, struct ck_err *err)
{
	uint8_t tmp[4096];
	long long got;

	while ((got = npz_member_read(r, tmp, sizeof(tmp), err)) > 0)
		;
	return (int)got;
}

static int import_npz(struct importer *im, const char *path, struct ck_err *err)
{
	struct npz_reader *r = NULL;
	struct source s;
	int rc = npz_open(&r, path, err);

	if (rc < 0)
		return rc;
	s.read = npz_src_read;
	s.ctx = r;
	for (size_t i = 0; i < npz_count(r) && !rc; i++) {
		const char *name = npz_name(r, i);
		size_t len = strlen(name);
		struct npy_info a;
		if (len && name[len - 1] == '/')
			continue;  /* a folder entry */
		if (!has_npy_suffix(name, len)) {
			buf_add(&im->notes, "skipped member \"", 16);
			name_escaped(&im->notes, name, len);
			buf_add(&im->notes, "\": not a .npy file\n", 19);
			continue;
		}
		if (!wanted(im, name, len - 4))
			continue;
		rc = npz_member_open(r, i, err);
		if (rc == 0)
			rc = npy_read_header(npz_src_read, r, &a, err);
		if (rc == 0 && npz_size(r, i) < a.data_bytes)
			rc = ck_error(err, CK_ECORRUPT, "member of %llu bytes for %llu bytes of data",
				      (unsigned long long)npz_size(r, i),
				      (unsigned long long)a.data_bytes);
		if (rc == 0)
			rc = add_array(im, name, len - 4, &a, &s, err);
		if (rc == 0)
			rc = drain(r, err);
		if (rc < 0 && !strstr(err->msg, path)) {
			struct buf n = BUF_INIT;
			name_escaped(&n, name, len);
			ck_wrap(err, "%s: member \"%s\"", path, (const char *)n.p);
			buf_release(&n);
		}
		npz_member_close(r);
	}
	npz_close(r);
	return rc;
}

/* ---- .npy files ---- */

struct fd_src {
	int fd;
	const char *path;
};

static long long fd_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	struct fd_src *f = ctx;
	ssize_t got;

	do
		got = read(f->fd, p, n);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return ck_syserr(err, errno, "%s", f->path);
	return got;
}

static int import_npy_file(struct importer *im, const char *path, const char *name,
			   size_t name_len, struct ck_err *err)
{
	struct fd_src f = { infile_open(path, NULL, err), path };
	struct source s = { fd_read, &f };
	struct npy_info a;
	struct stat st;
	int rc;

	if (f.fd < 0)
		return f.fd;
	rc = npy_read_header(fd_read, &f, &a, err);
	if (rc == 0 && fstat(f.fd, &st) == 0 && (uint64_t)st.st_size < a.data_bytes)
		rc = ck_error(err, CK_ECORRUPT, "file of %lld bytes for %llu bytes of data",
			      (long long)st.st_size, (unsigned long long)a.data_bytes);
	if (rc == 0)
		rc = add_array(im, name, name_len, &a, &s, err);
	if (rc < 0 && !strstr(err->msg, path))
		ck_wrap(err, "%s", path);
	close(f.fd);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.npy below dir (relative paths, sorted), following symbolic links to files. */
static int find_npy(const char *root, const char *rel, char ***out, size_t *n, struct buf *notes,
		    int depth, struct ck_err *err)
{
	char *dir = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		rc = ck_syserr(err, errno, "%s", dir);
		free(dir);
		return rc;
	}
	while ((de = readdir(d)) && !rc) {
		char *sub, *path;
		struct stat st;
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		sub = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		path = xasprintf("%s/%s", root, sub);
		if (stat(path, &st) < 0) {
			buf_addf(notes, "skipped %s: %s\n", path, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			if (depth < 64)
				rc = find_npy(root, sub, out, n, notes, depth + 1, err);
		} else if (has_npy_suffix(sub, strlen(sub))) {
			*out = xreallocarray(*out, *n + 1, sizeof(char *));
			(*out)[(*n)++] = sub;
			sub = NULL;
		} else {
			buf_addf(notes, "skipped %s: not a .npy file\n", path);
		}
		free(sub);
		free(path);
	}
	closedir(d);
	free(dir);
	return rc;
}

static int import_dir(struct importer *im, const char *dir, struct ck_err *err)
{
	char **files = NULL;
	size_t n = 0;
	int rc = find_npy(dir, "", &files, &n, &im->notes, 0, err);

	if (rc == 0 && !n)
		rc = ck_error(err, CK_ENOTFOUND, "%s: no .npy files in this folder", dir);
	if (rc == 0)
		sort_array(files, n, sizeof(*files), cmp_str);
	for (size_t i = 0; i < n && !rc; i++) {
		char *path;
		if (!wanted(im, files[i], strlen(files[i]) - 4))
			continue;
		path = xasprintf("%s/%s", dir, files[i]);
		rc = import_npy_file(im, path, files[i], strlen(files[i]) - 4, err);
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return rc;
}

/* ---- safetensors ---- */

struct st_src {
	struct st_file *f;
	size_t i;
	uint64_t pos;
};

static long long st_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	struct st_src *s = ctx;
	uint64_t left = s->f->t[s->i].end - s->f->t[s->i].begin - s->pos;
	int rc;

	if (n > left)
		n = (size_t)left;
	rc = safetensors_pread(s->f, s->i, s->pos, p, n, err);
	if (rc < 0)
		return rc;
	s->pos += n;
	return (long long)n;
}

static int import_safetensors(struct importer *im, const char *path, struct ck_err *err)
{
	struct st_file *f = NULL;
	int rc = safetensors_open(&f, path, err);

	for (size_t i = 0; rc == 0 && i < f->n; i++) {
		const struct st_tensor *t = &f->t[i];
		struct st_src ss = { f, i, 0 };
		struct source s = { st_read, &ss };
		struct npy_info a;
		if (!wanted(im, t->name, strlen(t->name)))
			continue;
		memset(&a, 0, sizeof(a));
		a.dtype = t->dtype;
		a.kind = 'f';
		a.itemsize = (size_t)dtype_info(t->dtype)->size;
		a.rank = t->rank;
		memcpy(a.dims, t->dims, (size_t)t->rank * sizeof(int64_t));
		a.elements = a.itemsize ? (t->end - t->begin) / a.itemsize : 0;
		a.data_bytes = t->end - t->begin;
		rc = add_array(im, t->name, strlen(t->name), &a, &s, err);
	}
	safetensors_close(f);
	return rc;
}

/* What the input is, by its first bytes. */
enum kind { K_DIR, K_NPZ, K_NPY, K_SAFETENSORS };

static int sniff(const char *path, enum kind *k, struct ck_err *err)
{
	uint8_t h[9] = { 0 };
	struct stat st;
	int fd;
	long long got;

	if (stat(path, &st) < 0)
		return ck_syserr(err, errno, "%s", path);
	if (S_ISDIR(st.st_mode)) {
		*k = K_DIR;
		return 0;
	}
	fd = infile_open(path, NULL, err);
	if (fd < 0)
		return fd;
	got = pread_full(fd, h, sizeof(h), 0);
	close(fd);
	if (got >= 4 && !memcmp(h, "PK", 2) && ((h[2] == 3 && h[3] == 4) || (h[2] == 5 && h[3] == 6))) {
		*k = K_NPZ;
	} else if (got >= 6 && !memcmp(h, "\x93NUMPY", 6)) {
		*k = K_NPY;
	} else if (got == 9 && h[8] == '{') {
		*k = K_SAFETENSORS;
	} else {
		const char *hint = "";
		size_t n = strlen(path);
		if (n > 6 && !strcmp(path + n - 6, ".index"))
			hint = " (this is a checkpoint: 'ckpt export' writes these formats)";
		return ck_error(err, CK_EKIND, "%s: not a .npz, .npy or safetensors file, nor a folder "
				"of .npy files%s", path, hint);
	}
	return 0;
}

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "include", required_argument, NULL, 'i' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "no-sync", no_argument, NULL, OPT_NO_SYNC },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *self = cli_find("import");
	struct importer im = { 0 };
	struct ck_err err = { 0 };
	char *out = NULL, sz[32];
	const char *in;
	enum kind kind = K_DIR;
	int c, force = 0, json = 0, nosync = 0, rc, status = EXIT_TROUBLE;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:fi:x:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': free(out); out = xstrdup(optarg); break;
		case 'f': force = 1; break;
		case OPT_JSON: json = 1; break;
		case OPT_NO_SYNC: nosync = 1; break;
		case 'h': status = cli_help(self); goto out;
		case 'i': case 'x':
			if (cli_add_filter(self, &im.filter, optarg, c == 'x'))
				goto out;
			break;
		default:  /* ':' (a missing value) too */
			status = cli_bad_option(self, argv, opts);
			goto out;
		}
	}
	if (cli_one_operand(self, argc - optind, "input"))
		goto out;
	if (!out) {
		status = cli_usage(self, "no output given (-o OUT)");
		goto out;
	}
	in = argv[optind];
	im.file = in;
	if (sniff(in, &kind, &err) < 0 || surg_check_output(&out, NULL, 0, force, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	surg_signals();
	if (bundle_writer_open(&im.w, out, 1, BW_MKDIR | (force ? BW_FORCE : 0) |
			       (nosync ? BW_NO_SYNC : 0), &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	switch (kind) {
	case K_DIR: rc = import_dir(&im, in, &err); break;
	case K_NPZ: rc = import_npz(&im, in, &err); break;
	case K_SAFETENSORS: rc = import_safetensors(&im, in, &err); break;
	default: {
		const char *base = strrchr(in, '/') ? strrchr(in, '/') + 1 : in;
		size_t n = strlen(base);
		n = has_npy_suffix(base, n) ? n - 4 : n;
		if (wanted(&im, base, n))
			rc = import_npy_file(&im, in, base, n, &err);
		else
			rc = 0;
		break;
	}
	}
	if (rc == 0 && !im.tensors)
		rc = ck_error(&err, CK_EUSAGE, "%s: no array to import%s", in,
			      im.filter.ninc || im.filter.nexc ? " (check --include/--exclude)" : "");
	cli_notes(&im.notes);
	if (rc < 0) {
		bundle_writer_abort(im.w);
		status = cli_error(&err);
		goto out;
	}
	if (bundle_writer_finish(im.w, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	if (json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "output", out);
		cJSON_AddStringToObject(j, "input", in);
		json_add_u64(j, "tensors", im.tensors);
		json_add_u64(j, "bytes", im.bytes);
		json_print(j, stdout);
		cJSON_Delete(j);
	} else {
		printf("wrote %s: %zu tensor%s, %s\n", out, im.tensors, im.tensors == 1 ? "" : "s",
		       fmt_size(sz, im.bytes, 0));
	}
	status = cli_finish(EXIT_OK);
out:
	namefilter_release(&im.filter);
	buf_release(&im.notes);
	free(out);
	return status;
}
