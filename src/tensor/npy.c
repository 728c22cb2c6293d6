/* .npy headers and atomic output files (see npy.h). */
#include "tensor/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/par.h"
#include "store/file.h"
#include "format/dtype.h"

const char *npy_descr(int dtype, int *widen)
{
	*widen = 0;
	switch (dtype) {
	case DT_FLOAT: return "<f4";
	case DT_DOUBLE: return "<f8";
	case DT_HALF: return "<f2";
	case DT_INT8: case DT_QINT8: case DT_INT4: case DT_INT2: return "|i1";
	case DT_UINT8: case DT_QUINT8: case DT_UINT4: case DT_UINT2: return "|u1";
	case DT_INT16: case DT_QINT16: return "<i2";
	case DT_UINT16: case DT_QUINT16: return "<u2";
	case DT_INT32: case DT_QINT32: return "<i4";
	case DT_UINT32: return "<u4";
	case DT_INT64: return "<i8";
	case DT_UINT64: return "<u8";
	case DT_BOOL: return "|b1";
	case DT_COMPLEX64: return "<c8";
	case DT_COMPLEX128: return "<c16";
	case DT_BFLOAT16: case DT_FLOAT8_E5M2: case DT_FLOAT8_E4M3FN: case DT_FLOAT8_E4M3FNUZ:
	case DT_FLOAT8_E4M3B11FNUZ: case DT_FLOAT8_E5M2FNUZ:
		*widen = 1;
		return "<f4";
	}
	return NULL;
}

void npy_header(struct buf *out, const char *descr, const int64_t *dims, int rank)
{
	struct buf dict = BUF_INIT;
	size_t total, lenbytes;

	buf_addf(&dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
	for (int i = 0; i < rank; i++)
		buf_addf(&dict, i ? ", %lld" : "%lld", (long long)dims[i]);
	buf_addf(&dict, "%s), }", rank == 1 ? "," : "");
	lenbytes = dict.len + 1 + 10 > 65535 ? 4 : 2;
	total = 8 + lenbytes + dict.len + 1;
	while (total % 64) {
		buf_addc(&dict, ' ');
		total++;
	}
	buf_addc(&dict, '\n');
	buf_add(out, "\x93NUMPY", 6);
	buf_addc(out, lenbytes == 2 ? 1 : 2);
	buf_addc(out, 0);
	if (lenbytes == 2) {
		buf_addc(out, (uint8_t)dict.len);
		buf_addc(out, (uint8_t)(dict.len >> 8));
	} else {
		put_fixed32(out, (uint32_t)dict.len);
	}
	buf_add(out, dict.p, dict.len);
	buf_release(&dict);
}

/* The temporary names being written, for outfile_cleanup_signal. Slots, not a list threaded
 * through the structs: a handler may run at any moment, and the names are stable heap
 * strings. More than MAX_LIVE at once (never happens) are just not cleaned up by signals. */
#define MAX_LIVE 16
static char *volatile live[MAX_LIVE];

static void live_add(char *tmp)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (!live[i]) {
			live[i] = tmp;
			return;
		}
}

static void live_del(const char *tmp)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (live[i] == tmp)
			live[i] = NULL;
}

void outfile_cleanup_signal(void)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (live[i])
			ck_outfile_unlink_signal(live[i]);
}

static void outfile_reset(struct outfile *f)
{
	memset(f, 0, sizeof(*f));
	f->f.fd = -1;
	f->lock.fd = -1;
}

int outfile_create(struct outfile *f, const char *path, int force, struct ck_err *err)
{
	struct ck_stat st;
	int rc;

	outfile_reset(f);
	if (ck_store_stat(path, &st, NULL) == 0 && st.kind == CK_STORE_FOLDER)
		return ck_error(err, CK_EUSAGE, "%s: is a directory, not a file name", path);
	{
		/* Like the checkpoint writers, make the output's folder when it is missing. */
		char *dir = path_folder(path);
		rc = 0;
		if (ck_store_stat(dir, &st, NULL) == 0) {
			if (st.kind == CK_STORE_MISSING)
				rc = make_dirs(dir, err);
			else if (st.kind != CK_STORE_FOLDER)
				rc = ck_error(err, CK_EUSAGE, "%s: cannot go in %s, which is not a folder",
					      path, dir);
		}
		free(dir);
		if (rc < 0)
			return rc;
	}
	if ((rc = outguard_check(path, err)) < 0 || (rc = outlock_take(&f->lock, path, err)) < 0)
		return rc;
	if (!force && ck_outfile_exists(path)) {
		outlock_release(&f->lock);
		return ck_error(err, CK_EEXIST, "%s: already exists (use --force to replace it)", path);
	}
	f->force = force;
	f->live = ck_outfile_tmp_name(path);
	live_add(f->live);  /* before the file exists: a signal may come at any moment */
	rc = ck_outfile_create(&f->f, path, xstrdup(f->live), err);
	if (rc < 0) {
		char why[sizeof(err->msg)] = "";
		if (err && strstr(err->msg, ": "))
			snprintf(why, sizeof(why), "%s", strstr(err->msg, ": "));
		live_del(f->live);
		free(f->live);
		outlock_release(&f->lock);
		outfile_reset(f);
		return ck_error(err, rc, "%s: cannot create a temporary file in its folder%s", path, why);
	}
	return 0;
}

static int write_now(struct outfile *f, const void *p, size_t n, struct ck_err *err)
{
	if (write_full(f->f.fd, p, n) < 0)
		return ck_syserr(err, errno, "%s", f->f.path);
	return 0;
}

static void write_job(void *arg)
{
	struct outfile *f = arg;

	if (!f->bg_rc)
		f->bg_rc = write_now(f, f->bg_p, f->bg_n, &f->bg_err);
}

int outfile_drain(struct outfile *f, struct ck_err *err)
{
	if (f->bg_busy) {
		par_bg_wait();
		f->bg_busy = 0;
	}
	if (f->bg_rc && err)
		*err = f->bg_err;
	return f->bg_rc;
}

int outfile_write_bg(struct outfile *f, const void *p, size_t n, struct ck_err *err)
{
	int rc = outfile_drain(f, err);

	if (rc)
		return rc;
	f->bg_p = p;
	f->bg_n = n;
	f->bg_busy = 1;
	par_bg_start(write_job, f);
	return 0;
}

const void *outfile_in_flight(const struct outfile *f)
{
	return f->bg_busy ? f->bg_p : NULL;
}

int outfile_write(struct outfile *f, const void *p, size_t n, struct ck_err *err)
{
	int rc = outfile_drain(f, err);

	return rc ? rc : write_now(f, p, n, err);
}

int outfile_commit(struct outfile *f, struct ck_err *err)
{
	int rc = outfile_drain(f, err);

	if (rc == 0)
		rc = ck_outfile_close(&f->f, f->no_sync ? CK_OUT_NO_SYNC : 0, err);
	if (rc < 0 || (rc = outguard_check(f->f.path, err)) < 0) {
		;  /* again: a link may have appeared */
	} else {
		rc = ck_outfile_rename(&f->f, f->force ? CK_OUT_FORCE : 0, err);
		if (!rc && !f->no_sync)
			rc = sync_folder_of(f->f.path, err);
	}
	outfile_abort(f);
	return rc;
}

void outfile_abort(struct outfile *f)
{
	outfile_drain(f, NULL);  /* the file is not closed under a write */
	ck_outfile_abort(&f->f);  /* after a rename the temporary name is gone: nothing to remove */
	if (f->live)
		live_del(f->live);
	free(f->live);
	outlock_release(&f->lock);
	outfile_reset(f);
}

/* ---- reading .npy headers ---- */

/* The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False,
 * 'shape': (2, 3), }. A small parser over the bytes, index-checked at every step. */
struct lit {
	const char *p;
	size_t n, i;
};

static void lit_space(struct lit *l)
{
	while (l->i < l->n && (l->p[l->i] == ' ' || l->p[l->i] == '\t' || l->p[l->i] == '\n' ||
			       l->p[l->i] == '\r'))
		l->i++;
}

static int lit_char(struct lit *l, char c)
{
	lit_space(l);
	if (l->i < l->n && l->p[l->i] == c) {
		l->i++;
		return 1;
	}
	return 0;
}

/* A quoted string (no escapes occur in numpy headers) into out[cap]. */
static int lit_string(struct lit *l, char *out, size_t cap)
{
	char q;
	size_t k = 0;

	lit_space(l);
	if (l->i >= l->n || (l->p[l->i] != '\'' && l->p[l->i] != '"'))
		return -1;
	q = l->p[l->i++];
	while (l->i < l->n && l->p[l->i] != q) {
		if (k + 1 >= cap)
			return -1;
		out[k++] = l->p[l->i++];
	}
	if (l->i >= l->n)
		return -1;
	l->i++;
	out[k] = '\0';
	return 0;
}

static int lit_word(struct lit *l, const char *w)
{
	size_t n = strlen(w);

	lit_space(l);
	if (n > l->n - l->i || memcmp(l->p + l->i, w, n))
		return 0;
	l->i += n;
	return 1;
}

static int lit_shape(struct lit *l, struct npy_info *info)
{
	if (!lit_char(l, '('))
		return -1;
	info->rank = 0;
	for (;;) {
		int64_t v = 0;
		size_t digits = 0;
		if (lit_char(l, ')'))
			return 0;
		lit_space(l);
		while (l->i < l->n && l->p[l->i] >= '0' && l->p[l->i] <= '9') {
			if (v > (INT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (l->p[l->i++] - '0');
			digits++;
		}
		if (!digits || info->rank >= NPY_MAX_RANK)
			return -1;
		if (l->i < l->n && l->p[l->i] == 'L')  /* Python 2 long */
			l->i++;
		info->dims[info->rank++] = v;
		if (!lit_char(l, ',')) {
			if (!lit_char(l, ')'))
				return -1;
			return 0;
		}
	}
}

/* numpy's type string -> TF dtype, item size and byte order. */
static int parse_descr(struct npy_info *info, struct ck_err *err)
{
	const char *d = info->descr;
	char order = '|';
	unsigned long size;
	char *end;

	if (*d == '<' || *d == '>' || *d == '|' || *d == '=')
		order = *d++;
	info->kind = *d;
	if (!*d || !d[1])
		goto unsupported;
	size = strtoul(d + 1, &end, 10);
	if (*end || !size || size > (1ul << 30))
		goto unsupported;
	info->itemsize = size;
	info->swap = order == '>' && size > 1;
	switch (info->kind) {
	case 'b': info->dtype = size == 1 ? DT_BOOL : -1; break;
	case 'i': info->dtype = size == 1 ? DT_INT8 : size == 2 ? DT_INT16 : size == 4 ? DT_INT32
			      : size == 8 ? DT_INT64 : -1; break;
	case 'u': info->dtype = size == 1 ? DT_UINT8 : size == 2 ? DT_UINT16 : size == 4 ? DT_UINT32
			      : size == 8 ? DT_UINT64 : -1; break;
	case 'f': info->dtype = size == 2 ? DT_HALF : size == 4 ? DT_FLOAT : size == 8 ? DT_DOUBLE
			      : -1; break;
	case 'c': info->dtype = size == 8 ? DT_COMPLEX64 : size == 16 ? DT_COMPLEX128 : -1; break;
	case 'S': info->dtype = DT_STRING; info->swap = 0; break;
	case 'U': info->dtype = DT_STRING; info->itemsize = 4 * size; info->swap = order == '>'; break;
	default: info->dtype = -1; break;
	}
	if (info->dtype >= 0)
		return 0;
unsupported:
	if (info->kind == 'V')
		return ck_error(err, CK_EUNSUP, "raw bytes type '%s' has no TensorFlow dtype (bfloat16 "
				"and float8 arrays of ml_dtypes are saved this way: convert to float32 "
				"first)", info->descr);
	return ck_error(err, CK_EUNSUP, "numpy type '%s' has no TensorFlow dtype", info->descr);
}

static int read_exact(long long (*read)(void *, void *, size_t, struct ck_err *), void *ctx,
		      uint8_t *p, size_t n, struct ck_err *err)
{
	while (n) {
		long long got = read(ctx, p, n, err);
		if (got < 0)
			return (int)got;
		if (!got)
			return ck_error(err, CK_ECORRUPT, "truncated .npy header");
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int npy_read_header(long long (*read)(void *ctx, void *p, size_t n, struct ck_err *err),
		    void *ctx, struct npy_info *info, struct ck_err *err)
{
	uint8_t pre[12];
	struct lit l;
	char *text = NULL, key[32];
	size_t hlen;
	int rc, have_descr = 0, have_order = 0, have_shape = 0;

	memset(info, 0, sizeof(*info));
	rc = read_exact(read, ctx, pre, 8, err);
	if (rc < 0)
		return rc == CK_ECORRUPT ? ck_error(err, CK_EKIND, "not a .npy file (too short)") : rc;
	if (memcmp(pre, "\x93NUMPY", 6))
		return ck_error(err, CK_EKIND, "not a .npy file (no \\x93NUMPY magic)");
	if (pre[6] < 1 || pre[6] > 3)
		return ck_error(err, CK_EUNSUP, ".npy format version %d.%d is not supported", pre[6],
				pre[7]);
	rc = read_exact(read, ctx, pre + 8, pre[6] == 1 ? 2 : 4, err);
	if (rc < 0)
		return rc;
	hlen = pre[6] == 1 ? (size_t)(pre[8] | pre[9] << 8)
			   : (size_t)(pre[8] | pre[9] << 8 | pre[10] << 16 | (uint32_t)pre[11] << 24);
	if (hlen > (64u << 20))
		return ck_error(err, CK_ECORRUPT, ".npy header of %zu bytes", hlen);
	text = xmalloc(hlen + 1);
	rc = read_exact(read, ctx, (uint8_t *)text, hlen, err);
	if (rc < 0)
		goto out;
	text[hlen] = '\0';
	l = (struct lit){ text, hlen, 0 };
	rc = ck_error(err, CK_ECORRUPT, "bad .npy header: %.80s", text);
	if (!lit_char(&l, '{'))
		goto out;
	while (!lit_char(&l, '}')) {
		if (lit_string(&l, key, sizeof(key)) < 0 || !lit_char(&l, ':'))
			goto out;
		if (!strcmp(key, "descr")) {
			lit_space(&l);
			if (l.i < l.n && l.p[l.i] == '[') {
				rc = ck_error(err, CK_EUNSUP, "structured numpy arrays have no TensorFlow "
					      "dtype");
				goto out;
			}
			if (lit_string(&l, info->descr, sizeof(info->descr)) < 0)
				goto out;
			have_descr = 1;
		} else if (!strcmp(key, "fortran_order")) {
			if (lit_word(&l, "True"))
				info->fortran = 1;
			else if (!lit_word(&l, "False"))
				goto out;
			have_order = 1;
		} else if (!strcmp(key, "shape")) {
			if (lit_shape(&l, info) < 0)
				goto out;
			have_shape = 1;
		} else {
			goto out;
		}
		if (!lit_char(&l, ',')) {
			if (!lit_char(&l, '}'))
				goto out;
			break;
		}
	}
	if (!have_descr || !have_order || !have_shape)
		goto out;
	lit_space(&l);
	if (l.i != l.n)
		goto out;
	rc = parse_descr(info, err);
	if (rc < 0)
		goto out;
	info->elements = 1;
	for (int i = 0; i < info->rank; i++) {
		uint64_t d = (uint64_t)info->dims[i];
		if (d && info->elements > UINT64_MAX / d) {
			rc = ck_error(err, CK_ECORRUPT, "shape of the .npy header overflows");
			goto out;
		}
		info->elements *= d;
	}
	if (info->elements && info->itemsize > (UINT64_MAX >> 1) / info->elements) {
		rc = ck_error(err, CK_ECORRUPT, "shape of the .npy header overflows");
		goto out;
	}
	info->data_bytes = info->elements * info->itemsize;
	rc = 0;
out:
	free(text);
	return rc;
}
