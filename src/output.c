/* Aligned tables, human-readable sizes and JSON helpers. */
#include "output.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void tab_init(struct tab *t, const char *align)
{
	memset(t, 0, sizeof(*t));
	t->ncols = strlen(align);
	t->align = xstrdup(align);
}

void tab_add(struct tab *t, const char *s)
{
	if (t->ncells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xreallocarray(t->cells, t->cap, sizeof(char *));
	}
	t->cells[t->ncells++] = xstrdup(s);
}

void tab_addf(struct tab *t, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_grow(&b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf((char *)b.p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (t->ncells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xreallocarray(t->cells, t->cap, sizeof(char *));
	}
	t->cells[t->ncells++] = (char *)b.p;
}

size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void tab_print(const struct tab *t, FILE *f)
{
	size_t *width = xcalloc(t->ncols, sizeof(size_t));
	size_t rows = t->ncells / t->ncols;

	for (size_t i = 0; i < rows * t->ncols; i++) {
		size_t w = text_width(t->cells[i]);
		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
	for (size_t r = 0; r < rows; r++) {
		size_t last = t->ncols;
		/* Trailing empty cells print nothing, so lines carry no trailing blanks. */
		while (last > 0 && !*t->cells[r * t->ncols + last - 1])
			last--;
		for (size_t c = 0; c < last; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t pad = width[c] - text_width(s);
			if (c)
				fputs("  ", f);
			if (t->align[c] == 'r')
				fprintf(f, "%*s%s", (int)pad, "", s);
			else if (c + 1 < last)
				fprintf(f, "%s%*s", s, (int)pad, "");
			else
				fputs(s, f);
		}
		fputc('\n', f);
	}
	free(width);
}

void tab_release(struct tab *t)
{
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->align);
	memset(t, 0, sizeof(*t));
}

char *fmt_size(char out[32], uint64_t bytes, int exact)
{
	static const char *units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = -1;

	if (exact || bytes < 1024) {
		snprintf(out, 32, "%" PRIu64 "%s", bytes, exact ? "" : " B");
		return out;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(out, 32, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
	return out;
}

char *fmt_count(char out[32], uint64_t n)
{
	char digits[24];
	int len = snprintf(digits, sizeof(digits), "%" PRIu64, n), o = 0;

	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	return out;
}

void name_escaped(struct buf *b, const void *name, size_t len)
{
	buf_add_escaped(b, name, len);
}

void json_add_name(cJSON *obj, const char *key, const void *name, size_t len)
{
	struct buf b = BUF_INIT;

	buf_add_escaped(&b, name, len);
	cJSON_AddStringToObject(obj, key, b.p ? (char *)b.p : "");
	if (!is_plain_utf8(name, len)) {
		char hkey[64];
		buf_reset(&b);
		for (size_t i = 0; i < len; i++)
			buf_addf(&b, "%02x", ((const uint8_t *)name)[i]);
		snprintf(hkey, sizeof(hkey), "%s_hex", key);
		cJSON_AddStringToObject(obj, hkey, b.p ? (char *)b.p : "");
	}
	buf_release(&b);
}

void json_add_u64(cJSON *obj, const char *key, uint64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%" PRIu64, v);
	cJSON_AddRawToObject(obj, key, s);
}

void json_add_i64(cJSON *obj, const char *key, int64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%" PRId64, v);
	cJSON_AddRawToObject(obj, key, s);
}

cJSON *json_shape(const int64_t *dims, int rank)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; i < rank; i++) {
		char s[24];
		snprintf(s, sizeof(s), "%" PRId64, dims[i]);
		cJSON_AddItemToArray(a, cJSON_CreateRaw(s));
	}
	return a;
}

int json_print(cJSON *obj, FILE *f)
{
	char *s = cJSON_Print(obj);

	if (!s)
		return -1;
	fputs(s, f);
	fputc('\n', f);
	cJSON_free(s);
	return 0;
}
