/* ckpt import: a TF checkpoint (name-based, V2) from a .npz, a safetensors file or .npy files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crc32c.h"
#include "store/file.h"
#include "store/outguard.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "tensor/assemble.h"
#include "tensor/fortran.h"
#include "tensor/npy.h"
#include "tensor/npz.h"
#include "tensor/safetensors.h"
#include "edit/surgery.h"
#include "edit/xform.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

const char cmd_import_usage[] =
"usage: ckpt import -o OUT [-f] [--include REGEX]... [--exclude REGEX]... [--json]\n"
"                   [--no-sync] FILE.npz|FILE.safetensors|FILE.npy|DIR\n"
"\n"
"Write OUT, a TensorFlow checkpoint (V2, name-based as tf.compat.v1.train.Saver and\n"
"tf.train.load_checkpoint read it) holding the arrays of a NumPy .npz archive (stored or\n"
"compressed members 'NAME.npy'), a safetensors file, one .npy file, or a folder of .npy\n"
"files (searched recursively: DIR/a/b.npy becomes the tensor 'a/b'; a link to a folder\n"
"already searched is not followed again). Tensor names are the member, key or file names\n"
"without '.npy'. Memory stays bounded: arrays are streamed, and Fortran-ordered and string\n"
"arrays go through temporary files in $TMPDIR (up to twice their size on disk). NUL bytes\n"
"that pad the elements of byte-string arrays are removed, except from a TF2 object graph\n"
"(_CHECKPOINTABLE_OBJECT_GRAPH), which keeps all its bytes. .npz member names are decoded as\n"
"'ckpt export' encodes them (%XX is the byte XX). safetensors files must follow all the\n"
"rules of the format (UTF-8 header padded with spaces only, unique names, string metadata,\n"
"data indexed without holes ""or overlaps); bools must be 0 or 1.\n"
"\n"
"Types: bool, (u)int8-64, float16/32/64, complex64/128 and byte strings ('S', and 'U' as\n"
"UTF-8) from NumPy; safetensors' BF16 and F8_E5M2/F8_E4M3 become bfloat16 and float8. The\n"
"result of 'ckpt export' imports back bit for bit.\n"
"\n"
"Options:\n"
"  -o, --output OUT       prefix of the new checkpoint (its folder is created if missing)\n"
"  -f, --force            replace OUT if it exists\n"
"                         (never a file of an input: see OUTPUTS in ckpt(1))\n"
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
	struct buf files;      /* a folder's imported files, relative, each NUL-terminated */
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

/* TensorFlow's bool is one byte, 0 or 1; any other byte would read back as neither. at: the
 * index of the first of the n elements, for the message. */
static int check_bools(const struct npy_info *a, const char *name, size_t name_len,
		       const uint8_t *p, size_t n, uint64_t at, struct ck_err *err)
{
	if (a->dtype != DT_BOOL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] > 1)
			return ck_error(err, CK_ECORRUPT, "array \"%.*s\": bool element %llu is byte 0x%02x "
					"(bools are 0 or 1)", (int)name_len, name,
					(unsigned long long)(at + i), p[i]);
	return 0;
}

/* A temporary file read from a position (a reordered or spooled array). */
struct tmp_src {
	int fd;
	uint64_t at;
};

static long long tmp_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	struct tmp_src *t = ctx;
	long long got = pread_full(t->fd, p, n, t->at);

	if (got < 0)
		return ck_syserr(err, errno, "reading back a temporary file");
	t->at += (uint64_t)got;
	return got;
}

static size_t utf8_len(uint32_t c)
{
	return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
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

/* One pass over the fixed-width elements of an 'S' or 'U' array: the first gives each
 * element's length to the writer, the second its bytes. NUL units (bytes, or code points)
 * at an element's end are padding and dropped, except in the TF2 object graph (a serialized
 * protobuf, whose last byte may well be 0); NULs before other units are kept. */
struct str_pass {
	const struct npy_info *a;
	const char *name;
	size_t name_len;
	int graph, bytes;     /* bytes: the second pass */
	struct bw_strings *bs;
	uint64_t pos, len, zeros;  /* in the current element */
	size_t lens[4096], nl;
	struct buf out;
};

static int str_unit(struct str_pass *s, const uint8_t *c, struct ck_err *err)
{
	uint32_t cp = c[0];
	size_t enc = 1;

	if (s->a->kind == 'U') {
		cp = s->a->swap ? (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | c[2] << 8 | c[3]
				: (uint32_t)c[3] << 24 | (uint32_t)c[2] << 16 | c[1] << 8 | c[0];
		if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
			return ck_error(err, CK_ECORRUPT, "array \"%.*s\": code point U+%X is not valid "
					"Unicode", (int)s->name_len, s->name, cp);
		enc = utf8_len(cp);
	}
	if (!cp && !s->graph) {
		s->zeros++;
		return 0;
	}
	if (s->bytes) {
		for (; s->zeros; s->zeros--)
			buf_addc(&s->out, 0);
		if (s->a->kind == 'U')
			put_utf8(&s->out, cp);
		else
			buf_addc(&s->out, (uint8_t)cp);
	}
	s->len += s->zeros + enc;
	s->zeros = 0;
	return 0;
}

static int str_chunk(struct str_pass *s, const uint8_t *p, size_t n, struct ck_err *err)
{
	size_t unit = s->a->kind == 'U' ? 4 : 1;

	for (size_t k = 0; k < n; k += unit) {
		int rc = str_unit(s, p + k, err);
		if (rc < 0)
			return rc;
		s->pos += unit;
		if (s->pos < s->a->itemsize)
			continue;
		if (!s->bytes) {
			s->lens[s->nl++] = (size_t)s->len;
			if (s->nl == sizeof(s->lens) / sizeof(s->lens[0]))
				bundle_writer_strings_lengths(s->bs, s->lens, s->nl), s->nl = 0;
		}
		s->pos = s->len = s->zeros = 0;
		if (s->out.len >= (64u << 10)) {
			bundle_writer_strings_bytes(s->bs, s->out.p, s->out.len);
			buf_reset(&s->out);
		}
	}
	if (!s->bytes && s->nl)
		bundle_writer_strings_lengths(s->bs, s->lens, s->nl), s->nl = 0;
	if (s->out.len) {
		bundle_writer_strings_bytes(s->bs, s->out.p, s->out.len);
		buf_reset(&s->out);
	}
	return 0;
}

/* 'S' and 'U' arrays -> DT_STRING, streamed in two passes over the spooled array at fd. */
static int add_strings(struct importer *im, const char *name, size_t name_len,
		       const struct npy_info *a, int fd, struct ck_err *err)
{
	struct bw_strings bs;
	struct str_pass *s = xcalloc(1, sizeof(*s));
	uint8_t *chunk = xmalloc(CHUNK_BYTES);
	int rc = 0;

	s->a = a;
	s->name = name;
	s->name_len = name_len;
	s->bs = &bs;
	s->graph = a->kind == 'S' && is_graph_key(name, name_len);
	if (bundle_writer_strings_begin(im->w, &bs, name, name_len, a->dims, a->rank, 0))
		rc = bundle_writer_status(im->w, err);
	for (s->bytes = 0; s->bytes < 2 && !rc; s->bytes++) {
		struct tmp_src t = { fd, 0 };
		for (uint64_t left = a->data_bytes; left && !rc;) {
			size_t n = left < CHUNK_BYTES ? (size_t)left : CHUNK_BYTES;  /* a multiple of 4 */
			long long got = tmp_read(&t, chunk, n, err);
			if (got < 0)
				rc = (int)got;
			else if ((size_t)got != n)
				rc = ck_error(err, CK_EIO, "temporary file short");
			else
				rc = str_chunk(s, chunk, n, err);
			left -= n;
			if (!rc && bundle_writer_status(im->w, NULL))
				rc = bundle_writer_status(im->w, err);
		}
	}
	if (!rc && bundle_writer_strings_end(&bs))
		rc = bundle_writer_status(im->w, err);
	bundle_writer_strings_release(&bs);
	buf_release(&s->out);
	free(s);
	free(chunk);
	return rc;
}

/* One array: its description a, its data read from s. Fortran-order arrays are reordered
 * and string arrays spooled through temporary files (fortran.h), so that memory stays bounded
 * whatever the array's size: a small .npz may inflate to gigabytes. */
static int add_array(struct importer *im, const char *name, size_t name_len,
		     const struct npy_info *a, const struct source *s, struct ck_err *err)
{
	struct bundle_entry e = { 0 };
	struct tmp_src t = { -1, 0 };
	struct source ts = { tmp_read, &t };
	uint8_t *chunk = NULL;
	uint64_t left = a->data_bytes;
	uint32_t crc = 0;
	int rc = 0;

	if (a->dtype == DT_STRING || (a->fortran && a->rank > 1)) {
		int64_t flat = (int64_t)a->elements;
		int fortran = a->fortran && a->rank > 1;
		rc = fortran_to_c(s->read, s->ctx, fortran ? a->dims : &flat, fortran ? a->rank : 1,
				  a->itemsize, FORTRAN_MEMORY, &t.fd, err);
		if (rc < 0)
			return rc;
		s = &ts;
		if (a->dtype == DT_STRING) {
			rc = add_strings(im, name, name_len, a, t.fd, err);
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
	chunk = xmalloc(CHUNK_BYTES);
	while (left && !rc) {
		size_t n = left < CHUNK_BYTES ? (size_t)left : CHUNK_BYTES;
		n -= n % a->itemsize;  /* whole elements, for swapping */
		rc = read_exact(s, chunk, n, err);
		if (rc == 0)
			rc = check_bools(a, name, name_len, chunk, n, a->data_bytes - left, err);
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
	if (t.fd >= 0)
		close(t.fd);
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
		const char *member = npz_name(r, i);
		size_t len = strlen(member);
		struct buf name = BUF_INIT;
		struct npy_info a;
		if (len && member[len - 1] == '/')
			continue;  /* a folder entry */
		if (len < 4 || memcmp(member + len - 4, ".npy", 4)) {  /* ".npy": the name "" */
			buf_add(&im->notes, "skipped member \"", 16);
			buf_add_name_msg(&im->notes, member, len);
			buf_add(&im->notes, "\": not a .npy file\n", 19);
			continue;
		}
		npz_name_decode(&name, member, len - 4);  /* %XX escapes (npz.h) */
		buf_grow(&name, 0);
		if (!wanted(im, (const char *)name.p, name.len)) {
			buf_release(&name);
			continue;
		}
		rc = npz_member_open(r, i, err);
		if (rc == 0)
			rc = npy_read_header(npz_src_read, r, &a, err);
		if (rc == 0 && npz_size(r, i) < a.data_bytes)
			rc = ck_error(err, CK_ECORRUPT, "member of %llu bytes for %llu bytes of data",
				      (unsigned long long)npz_size(r, i),
				      (unsigned long long)a.data_bytes);
		if (rc == 0)
			rc = add_array(im, (const char *)name.p, name.len, &a, &s, err);
		if (rc == 0)
			rc = drain(r, err);
		if (rc < 0 && !strstr(err->msg, path)) {
			struct buf n = BUF_INIT;
			buf_add_name_msg(&n, member, len);
			ck_wrap(err, "%s: member \"%s\"", path, (const char *)n.p);
			buf_release(&n);
		}
		buf_release(&name);
		npz_member_close(r);
	}
	npz_close(r);
	return rc;
}

/* ---- .npy files ---- */

/* An input file read from start to end. */
struct file_src {
	struct ck_file *f;
	uint64_t at;
};

static long long file_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	struct file_src *s = ctx;
	long long got = ck_file_pread(s->f, p, n, s->at, err);

	if (got > 0)
		s->at += (uint64_t)got;
	return got;
}

static int import_npy_file(struct importer *im, const char *path, const char *name,
			   size_t name_len, struct ck_err *err)
{
	struct file_src f = { NULL, 0 };
	struct source s = { file_read, &f };
	struct npy_info a;
	int rc = ck_file_open(path, &f.f, err);

	if (rc < 0)
		return rc;
	ck_file_advise(f.f, 0, 0);
	outguard_add_input(path);
	rc = npy_read_header(file_read, &f, &a, err);
	if (rc == 0 && f.f->size < a.data_bytes)
		rc = ck_error(err, CK_ECORRUPT, "file of %lld bytes for %llu bytes of data",
			      (long long)f.f->size, (unsigned long long)a.data_bytes);
	if (rc == 0)
		rc = add_array(im, name, name_len, &a, &s, err);
	if (rc < 0 && !strstr(err->msg, path))
		ck_wrap(err, "%s", path);
	ck_file_close(f.f);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The folders a walk has entered, by device and inode: a symbolic link to a folder already
 * searched (a loop, or a second way to the same files) is not followed again, so the walk
 * ends and imports each file once. */
struct walk {
	const char *root;
	struct { dev_t dev; ino_t ino; } *seen;
	size_t nseen;
	char **links;          /* links to folders, followed after the real folders */
	size_t nlinks;
	char **files;
	size_t nfiles;
	struct buf *notes;
};

/* 1 if st's folder was entered before; else records it and returns 0. */
static int seen_before(struct walk *w, const struct stat *st)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
			return 1;
	w->seen = xreallocarray(w->seen, w->nseen + 1, sizeof(*w->seen));
	w->seen[w->nseen].dev = st->st_dev;
	w->seen[w->nseen++].ino = st->st_ino;
	return 0;
}

/* Every *.npy below root/rel, following symbolic links to files; links to folders are put
 * aside in w->links, so that a folder is reached by its real path when it has one. */
static int find_npy(struct walk *w, const char *rel, int depth, struct ck_err *err)
{
	char *dir = *rel ? xasprintf("%s/%s", w->root, rel) : xstrdup(w->root);
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
		struct stat st, lst;
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		sub = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		path = xasprintf("%s/%s", w->root, sub);
		if (stat(path, &st) < 0 || lstat(path, &lst) < 0) {
			buf_addf(w->notes, "skipped %s: %s\n", path, strerror(errno));
		} else if (S_ISDIR(st.st_mode) && S_ISLNK(lst.st_mode)) {
			w->links = xreallocarray(w->links, w->nlinks + 1, sizeof(char *));
			w->links[w->nlinks++] = sub;
			sub = NULL;
		} else if (S_ISDIR(st.st_mode)) {
			if (depth < 64 && !seen_before(w, &st))
				rc = find_npy(w, sub, depth + 1, err);
		} else if (has_npy_suffix(sub, strlen(sub))) {
			w->files = xreallocarray(w->files, w->nfiles + 1, sizeof(char *));
			w->files[w->nfiles++] = sub;
			sub = NULL;
		} else {
			buf_addf(w->notes, "skipped %s: not a .npy file\n", path);
		}
		free(sub);
		free(path);
	}
	closedir(d);
	free(dir);
	return rc;
}

/* The real folders first, then the links to folders, round by round in name order (links
 * found behind links make the next round), each followed unless its folder was searched. */
static int walk_dir(struct walk *w, struct ck_err *err)
{
	struct stat st;
	int rc = 0;

	if (stat(w->root, &st) == 0)
		seen_before(w, &st);
	rc = find_npy(w, "", 0, err);
	while (!rc && w->nlinks) {
		char **round = w->links;
		size_t n = w->nlinks;
		w->links = NULL;
		w->nlinks = 0;
		sort_array(round, n, sizeof(*round), cmp_str);
		for (size_t i = 0; i < n; i++) {
			char *path = xasprintf("%s/%s", w->root, round[i]);
			int depth = 1;
			for (const char *c = round[i]; *c; c++)
				depth += *c == '/';
			if (!rc && stat(path, &st) == 0) {
				if (seen_before(w, &st))
					buf_addf(w->notes, "skipped %s: a link to a folder already searched\n",
						 path);
				else if (depth < 64)
					rc = find_npy(w, round[i], depth, err);
			}
			free(path);
			free(round[i]);
		}
		free(round);
	}
	for (size_t i = 0; i < w->nlinks; i++)
		free(w->links[i]);
	free(w->links);
	free(w->seen);
	return rc;
}

static int import_dir(struct importer *im, const char *dir, struct ck_err *err)
{
	struct walk w = { .root = dir, .notes = &im->notes };
	int rc = walk_dir(&w, err);
	char **files = w.files;
	size_t n = w.nfiles;

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
		buf_add(&im->files, files[i], strlen(files[i]) + 1);
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
		if (rc < 0 && !strstr(err->msg, path))
			ck_wrap(err, "%s", path);
	}
	safetensors_close(f);
	return rc;
}

/* What the input is, by its first bytes. */
enum kind { K_DIR, K_NPZ, K_NPY, K_SAFETENSORS };

static int sniff(const char *path, enum kind *k, struct ck_err *err)
{
	uint8_t h[9] = { 0 };
	struct ck_stat st;
	struct ck_file *f;
	long long got;
	int rc;

	if ((rc = ck_store_stat(path, &st, err)) < 0)
		return rc;
	if (st.kind == CK_STORE_MISSING)
		return ck_syserr(err, ENOENT, "%s", path);
	if (st.kind == CK_STORE_FOLDER) {
		*k = K_DIR;
		return 0;
	}
	if ((rc = ck_file_open(path, &f, err)) < 0)
		return rc;
	got = ck_file_pread(f, h, sizeof(h), 0, err);
	ck_file_close(f);
	if (got < 0)
		return (int)got;
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
	outguard_add_input(in);  /* the files of a folder are added as they are read */
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
		const char *base = path_base(in);
		size_t n = strlen(base);
		n = has_npy_suffix(base, n) ? n - 4 : n;
		if (wanted(&im, base, n))
			rc = import_npy_file(&im, in, base, n, &err);
		else
			rc = 0;
		break;
	}
	}
	if (rc < 0 && !strstr(err.msg, in))
		ck_wrap(&err, "%s", in);  /* every message names the file it is about */
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
		char *out_dot = xasprintf("%s.", out);  /* the output's files: OUT.index ... */
		if (!strstr(err.msg, in) && !strstr(err.msg, out_dot))
			ck_wrap(&err, "%s", in);  /* two tensors of one name: the input's fault */
		free(out_dot);
		status = cli_error(&err);
		goto out;
	}
	if (json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "output", out);
		cJSON_AddStringToObject(j, "input", in);
		json_add_u64(j, "tensors", im.tensors);
		json_add_u64(j, "bytes", im.bytes);
		if (kind == K_DIR) {  /* which files the walk found (links to folders seen are not) */
			cJSON *files = cJSON_AddArrayToObject(j, "files");
			for (size_t at = 0; at < im.files.len; at += strlen((char *)im.files.p + at) + 1)
				cJSON_AddItemToArray(files, cJSON_CreateString((char *)im.files.p + at));
		}
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
	buf_release(&im.files);
	free(out);
	return status;
}
