/* safetensors headers: writing, and reading with every field checked (see safetensors.h). */
#include "tensor/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/dtype.h"

#define MAX_HEADER (100u << 20)  /* the reference implementation's limit */

static const struct {
	const char *name;
	int dtype;
} st_types[] = {
	{ "BOOL", DT_BOOL }, { "U8", DT_UINT8 }, { "I8", DT_INT8 }, { "I16", DT_INT16 },
	{ "U16", DT_UINT16 }, { "I32", DT_INT32 }, { "U32", DT_UINT32 }, { "I64", DT_INT64 },
	{ "U64", DT_UINT64 }, { "F16", DT_HALF }, { "BF16", DT_BFLOAT16 }, { "F32", DT_FLOAT },
	{ "F64", DT_DOUBLE }, { "F8_E5M2", DT_FLOAT8_E5M2 }, { "F8_E4M3", DT_FLOAT8_E4M3FN },
	{ "C64", DT_COMPLEX64 },
};
#define NTYPES (sizeof(st_types) / sizeof(st_types[0]))

const char *safetensors_dtype(int dtype, int *same)
{
	*same = 1;
	switch (dtype) {
	case DT_COMPLEX64:
		return NULL;  /* C64 is recent: older readers would reject the whole file */
	case DT_QINT8: case DT_INT4: case DT_INT2:
		*same = 0;
		return "I8";
	case DT_QUINT8: case DT_UINT4: case DT_UINT2:
		*same = 0;
		return "U8";
	case DT_QINT16:
		*same = 0;
		return "I16";
	case DT_QUINT16:
		*same = 0;
		return "U16";
	case DT_QINT32:
		*same = 0;
		return "I32";
	}
	for (size_t i = 0; i < NTYPES; i++)
		if (st_types[i].dtype == dtype)
			return st_types[i].name;
	return NULL;
}

int safetensors_dtype_id(const char *name)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (!strcmp(st_types[i].name, name))
			return st_types[i].dtype;
	return -1;
}

static void add_json_string(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, *p);
		} else if (*p < 0x20) {
			buf_addf(b, "\\u%04x", *p);
		} else {
			buf_addc(b, *p);
		}
	}
	buf_addc(b, '"');
}

void safetensors_header(struct buf *out, struct st_tensor *t, size_t n)
{
	struct buf j = BUF_INIT;
	uint64_t off = 0;

	buf_addc(&j, '{');
	for (size_t i = 0; i < n; i++) {
		int same;
		uint64_t bytes = (uint64_t)dtype_info(t[i].dtype)->size;
		for (int d = 0; d < t[i].rank; d++)
			bytes *= (uint64_t)t[i].dims[d];
		t[i].begin = off;
		t[i].end = off += bytes;
		if (i)
			buf_addc(&j, ',');
		add_json_string(&j, t[i].name);
		buf_addf(&j, ":{\"dtype\":\"%s\",\"shape\":[", safetensors_dtype(t[i].dtype, &same));
		for (int d = 0; d < t[i].rank; d++)
			buf_addf(&j, d ? ",%lld" : "%lld", (long long)t[i].dims[d]);
		buf_addf(&j, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)t[i].begin,
			 (unsigned long long)t[i].end);
	}
	buf_addc(&j, '}');
	while (j.len % 8)
		buf_addc(&j, ' ');
	put_fixed64(out, j.len);
	buf_add(out, j.p, j.len);
	buf_release(&j);
}

void safetensors_close(struct st_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->t[i].name);
		free(f->t[i].dims);
	}
	free(f->t);
	ck_file_close(f->file);
	free(f->path);
	free(f);
}

/* A JSON number that is an exact non-negative integer below 2^53. */
static int json_uint(const cJSON *v, uint64_t *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!(d >= 0) || d > 9007199254740992.0 || floor(d) != d)
		return -1;
	*out = (uint64_t)d;
	return 0;
}

static int cmp_begin(const void *a, const void *b)
{
	const struct st_tensor *x = *(const struct st_tensor *const *)a;
	const struct st_tensor *y = *(const struct st_tensor *const *)b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* How many of the n bytes at p are valid UTF-8 before the first invalid sequence. */
static size_t utf8_valid_len(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		int k = utf8_seq_len((const uint8_t *)p + i, n - i);
		if (!k)
			break;
		i += (size_t)k;
	}
	return i;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp((*(const struct st_tensor *const *)a)->name,
		      (*(const struct st_tensor *const *)b)->name);
}

/* The rules of the format (its README) that a JSON parser does not check by itself: the
 * header is UTF-8 text, and its JSON object may be followed by spaces (0x20) only. A \u0000
 * escape would make a name that C strings (and cJSON) cut short, so it is refused too. */
static int check_text(const char *path, const char *text, size_t n, struct ck_err *err)
{
	size_t bad = utf8_valid_len(text, n);

	if (bad < n)
		return ck_error(err, CK_ECORRUPT, "%s: the header is not valid UTF-8 (byte %zu of it); "
				"safetensors headers are UTF-8 JSON", path, bad);
	for (size_t i = 0; i + 1 < n; i++) {
		if (text[i] != '\\')
			continue;
		if (text[i + 1] == 'u' && n - i >= 6 && !memcmp(text + i + 2, "0000", 4))
			return ck_error(err, CK_EUNSUP, "%s: the header holds a \\u0000 escape (a NUL "
					"character in a name or value), which ckpt cannot keep", path);
		i++;  /* the escaped character: "\\\\" is one backslash */
	}
	return 0;
}

static int check_rest(const char *path, const char *text, size_t n, const char *end,
		      struct ck_err *err)
{
	for (size_t i = (size_t)(end - text); i < n; i++)
		if (text[i] != ' ')
			return ck_error(err, CK_ECORRUPT, "%s: bytes after the header's JSON object (at "
					"byte %zu of it); the header may be padded with spaces only",
					path, i);
	return 0;
}

/* "__metadata__" is a map of strings to strings. */
static int check_metadata(const char *path, const cJSON *m, struct ck_err *err)
{
	const cJSON *v;

	if (!cJSON_IsObject(m))
		return ck_error(err, CK_ECORRUPT, "%s: __metadata__ is not an object; it must map "
				"strings to strings", path);
	cJSON_ArrayForEach(v, m)
		if (!cJSON_IsString(v))
			return ck_error(err, CK_ECORRUPT, "%s: __metadata__ value of \"%s\" is not a "
					"string; it must map strings to strings", path, v->string);
	return 0;
}

/* The data buffer is indexed entirely, without holes or overlaps: sorted by offset, every
 * tensor begins where the one before ends, and the last ends with the file. */
static int check_layout(struct st_file *f, struct ck_err *err)
{
	struct st_tensor **order = xcalloc(f->n + 1, sizeof(*order));
	uint64_t at = 0;
	const char *prev = NULL;
	int rc = 0;

	for (size_t i = 0; i < f->n; i++)
		order[i] = &f->t[i];
	sort_array(order, f->n, sizeof(*order), cmp_name);
	for (size_t i = 1; i < f->n && !rc; i++)
		if (!strcmp(order[i]->name, order[i - 1]->name))
			rc = ck_error(err, CK_ECORRUPT, "%s: two tensors named \"%s\"; names must be "
				      "unique", f->path, order[i]->name);
	sort_array(order, f->n, sizeof(*order), cmp_begin);
	for (size_t i = 0; i < f->n && !rc; i++) {
		const struct st_tensor *t = order[i];
		if (t->begin < at)
			rc = ck_error(err, CK_ECORRUPT, "%s: tensors \"%s\" and \"%s\" overlap", f->path,
				      prev, t->name);
		else if (t->begin > at)
			rc = ck_error(err, CK_ECORRUPT, "%s: bytes %llu to %llu of the data belong to no "
				      "tensor (a hole before \"%s\"); the data must be indexed entirely",
				      f->path, (unsigned long long)at, (unsigned long long)t->begin,
				      t->name);
		if (t->end > t->begin) {
			at = t->end;
			prev = t->name;
		}
	}
	if (!rc && at != f->data_size)
		rc = ck_error(err, CK_ECORRUPT, "%s: the last %llu bytes of the data belong to no "
			      "tensor; the data must be indexed entirely", f->path,
			      (unsigned long long)(f->data_size - at));
	free(order);
	return rc;
}

static int parse_tensor(struct st_file *f, const cJSON *item, struct st_tensor *t,
			struct ck_err *err)
{
	const cJSON *dt = cJSON_GetObjectItemCaseSensitive(item, "dtype");
	const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
	const cJSON *offs = cJSON_GetObjectItemCaseSensitive(item, "data_offsets"), *v;
	uint64_t bytes, n;
	int k = 0;

	t->name = xstrdup(item->string);
	if (utf8_valid_len(t->name, strlen(t->name)) != strlen(t->name))
		return ck_error(err, CK_ECORRUPT, "%s: a tensor name is not valid UTF-8", f->path);
	if (!cJSON_IsObject(item) || !cJSON_IsString(dt) || !cJSON_IsArray(shape) ||
	    !cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2)
		return ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\": needs dtype, shape and "
				"data_offsets", f->path, t->name);
	t->dtype = safetensors_dtype_id(dt->valuestring);
	if (t->dtype < 0)
		return ck_error(err, CK_EUNSUP, "%s: tensor \"%s\": dtype \"%s\" is not supported",
				f->path, t->name, dt->valuestring);
	t->rank = cJSON_GetArraySize(shape);
	if (t->rank > 255)
		return ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\": rank %d", f->path, t->name,
				t->rank);
	t->dims = xcalloc((size_t)t->rank + 1, sizeof(int64_t));
	bytes = (uint64_t)dtype_info(t->dtype)->size;
	cJSON_ArrayForEach(v, shape) {
		if (json_uint(v, &n) < 0)
			return ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\": bad shape", f->path,
					t->name);
		t->dims[k++] = (int64_t)n;
		if (n && bytes > UINT64_MAX / 2 / n)
			return ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\": shape overflows", f->path,
					t->name);
		bytes *= n;
	}
	if (json_uint(cJSON_GetArrayItem(offs, 0), &t->begin) < 0 ||
	    json_uint(cJSON_GetArrayItem(offs, 1), &t->end) < 0 || t->begin > t->end ||
	    t->end > f->data_size)
		return ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\": data_offsets outside the %llu "
				"bytes of data", f->path, t->name, (unsigned long long)f->data_size);
	if (t->end - t->begin != bytes)
		return ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\": %llu bytes of data for %llu "
				"expected", f->path, t->name, (unsigned long long)(t->end - t->begin),
				(unsigned long long)bytes);
	return 0;
}

int safetensors_open(struct st_file **out, const char *path, struct ck_err *err)
{
	struct st_file *f = xcalloc(1, sizeof(*f));
	uint8_t len8[8];
	char *text = NULL;
	const char *end = NULL;
	cJSON *root = NULL, *item;
	uint64_t hlen = 0, size;
	int rc = 0, nmeta = 0;

	*out = NULL;
	f->path = xstrdup(path);
	rc = ck_file_open(path, &f->file, err);
	if (rc < 0)
		goto out;
	size = f->file->size;
	if (ck_file_pread(f->file, len8, 8, 0, NULL) != 8) {
		rc = ck_error(err, CK_EKIND, "%s: not a safetensors file (too short)", path);
		goto out;
	}
	for (int i = 0; i < 8; i++)
		hlen |= (uint64_t)len8[i] << (8 * i);
	if (hlen < 2 || hlen > MAX_HEADER || hlen > size - 8) {
		rc = ck_error(err, CK_EKIND, "%s: not a safetensors file (header length %llu in a file "
			      "of %lld bytes)", path, (unsigned long long)hlen, (long long)size);
		goto out;
	}
	text = xmalloc((size_t)hlen + 1);
	if ((rc = ck_file_read_exact(f->file, text, (size_t)hlen, 8, err)) < 0)
		goto out;
	text[hlen] = '\0';
	f->data_start = 8 + hlen;
	f->data_size = size - f->data_start;
	if (text[0] != '{') {
		rc = ck_error(err, CK_EKIND, "%s: not a safetensors file (header is not a JSON object)",
			      path);
		goto out;
	}
	rc = check_text(path, text, (size_t)hlen, err);
	if (rc < 0)
		goto out;
	root = cJSON_ParseWithLengthOpts(text, (size_t)hlen, &end, 0);
	if (!cJSON_IsObject(root)) {
		rc = ck_error(err, CK_ECORRUPT, "%s: the JSON header does not parse", path);
		goto out;
	}
	rc = check_rest(path, text, (size_t)hlen, end, err);
	if (rc < 0)
		goto out;
	f->t = xcalloc((size_t)cJSON_GetArraySize(root) + 1, sizeof(*f->t));
	cJSON_ArrayForEach(item, root) {
		if (!strcmp(item->string, "__metadata__")) {
			if (nmeta++)
				rc = ck_error(err, CK_ECORRUPT, "%s: two __metadata__ keys", path);
			else
				rc = check_metadata(path, item, err);
		} else {
			rc = parse_tensor(f, item, &f->t[f->n++], err);
		}
		if (rc < 0)
			goto out;
	}
	rc = check_layout(f, err);
out:
	cJSON_Delete(root);
	free(text);
	if (rc < 0)
		safetensors_close(f);
	else
		*out = f;
	return rc;
}

int safetensors_pread(struct st_file *f, size_t i, uint64_t off, void *p, size_t n,
		      struct ck_err *err)
{
	long long got = ck_file_pread(f->file, p, n, f->data_start + f->t[i].begin + off, err);

	if (got < 0)
		return (int)got;
	if ((size_t)got != n)
		return ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\": file ends early", f->path,
				f->t[i].name);
	return 0;
}
