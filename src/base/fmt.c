/* Text and JSON formatting shared by the library and the CLI: sizes, counts, names as shown,
 * JSON fields. Nothing here prints: output.c (CLI side) writes what these build. */
#include "base/fmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

char *fmt_size(char out[32], uint64_t bytes, int exact)
{
	static const char *units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned __int128 div = 1024, b128 = bytes;
	uint64_t hundredths, whole, frac;
	int u = 0, decimals, shift = 10;  /* div == 1 << shift: dividing is shifting */
	size_t n;

	if (exact || bytes < 1024) {
		n = fmt_u64(out, bytes);
		if (!exact)
			memcpy(out + n, " B", 3);
		return out;
	}
	while (u < 5 && (unsigned __int128)bytes >= div * 1024) {
		div *= 1024;
		shift += 10;
		u++;
	}
	/* Three significant digits, rounded half up, in integer arithmetic. */
	hundredths = (uint64_t)((b128 * 100 + div / 2) >> shift);
	decimals = hundredths < 1000 ? 2 : hundredths < 10000 ? 1 : 0;
	if (decimals == 1)
		hundredths = (uint64_t)((b128 * 10 + div / 2) >> shift) * 10;
	else if (decimals == 0)
		hundredths = (uint64_t)((b128 + div / 2) >> shift) * 100;
	if (hundredths >= 102400 && u < 5) {  /* rounded up to the next unit: 1024 KiB */
		snprintf(out, 32, "1.00 %s", units[u + 1]);
		return out;
	}
	whole = hundredths / 100;
	frac = hundredths % 100;
	n = fmt_u64(out, whole);
	if (decimals) {
		out[n++] = '.';
		out[n++] = (char)('0' + frac / 10);
		if (decimals == 2)
			out[n++] = (char)('0' + frac % 10);
	}
	out[n++] = ' ';
	memcpy(out + n, units[u], 4);
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

char *fmt_percent(char out[32], uint64_t part, uint64_t whole, int decimals)
{
	double pc;

	if (!whole) {
		memcpy(out, "-", 2);
		return out;
	}
	pc = 100.0 * ((double)part / (double)whole);
	/* Add decimals until the text tells a share from all and from none. Past 12 (a part
	 * within 10^-14 of all or none of a 64-bit whole), say which side it is on instead. */
	for (;; decimals++) {
		double shown;
		snprintf(out, 28, "%.*f", decimals, pc);
		shown = strtod(out, NULL);
		if (!(shown == 100.0 && part != whole) && !(shown == 0.0 && part))
			break;
		if (decimals >= 12) {
			strcpy(out, part < whole / 2 ? ">0" : "<100");
			break;
		}
	}
	strcat(out, "%");
	return out;
}

void name_escaped(struct buf *b, const void *name, size_t len)
{
	buf_add_escaped(b, name, len);
}

/* A name's JSON forms: its escaped text, and its bytes in hex when escaping changed them
 * (returns 1 then). Both buffers come back NUL-terminated, even when empty. */
int name_forms(struct buf *text, struct buf *hex, const void *name, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = name;

	buf_add_escaped(text, name, len);
	buf_grow(text, 0);
	text->p[text->len] = 0;  /* an empty name added nothing, not even the NUL */
	if (is_plain_utf8(name, len))
		return 0;
	buf_grow(hex, 2 * len);
	for (size_t i = 0; i < len; i++) {
		hex->p[hex->len++] = (uint8_t)digits[p[i] >> 4];
		hex->p[hex->len++] = (uint8_t)digits[p[i] & 15];
	}
	hex->p[hex->len] = 0;
	return 1;
}

void json_add_name(cJSON *obj, const char *key, const void *name, size_t len)
{
	struct buf text = BUF_INIT, hex = BUF_INIT;
	int raw = name_forms(&text, &hex, name, len);

	cJSON_AddStringToObject(obj, key, (char *)text.p);
	if (raw) {
		char hkey[64];
		snprintf(hkey, sizeof(hkey), "%s_hex", key);
		cJSON_AddStringToObject(obj, hkey, (char *)hex.p);
	}
	buf_release(&text);
	buf_release(&hex);
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
