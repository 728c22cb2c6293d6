/* ListObjectsV2 pages parsed by hand (see listing.h): the answer is small and regular, and an
 * XML library would be one more dependency for four elements. */
#include "store/listing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"

void listing_page_release(struct listing_page *page)
{
	size_t i;

	for (i = 0; i < page->n; i++)
		free(page->v[i].name);
	free(page->v);
	free(page->next);
	memset(page, 0, sizeof(*page));
}

static void add_utf8(struct buf *out, unsigned long c)
{
	if (c < 0x80) {
		buf_addc(out, (uint8_t)c);
	} else if (c < 0x800) {
		buf_addc(out, (uint8_t)(0xc0 | c >> 6));
		buf_addc(out, (uint8_t)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		buf_addc(out, (uint8_t)(0xe0 | c >> 12));
		buf_addc(out, (uint8_t)(0x80 | ((c >> 6) & 0x3f)));
		buf_addc(out, (uint8_t)(0x80 | (c & 0x3f)));
	} else {
		buf_addc(out, (uint8_t)(0xf0 | c >> 18));
		buf_addc(out, (uint8_t)(0x80 | ((c >> 12) & 0x3f)));
		buf_addc(out, (uint8_t)(0x80 | ((c >> 6) & 0x3f)));
		buf_addc(out, (uint8_t)(0x80 | (c & 0x3f)));
	}
}

int xml_unescape(const char *s, size_t n, struct buf *out)
{
	static const struct {
		const char *name;
		char c;
	} named[] = { { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' } };
	size_t i = 0, k;

	while (i < n) {
		const char *semi;
		size_t len;
		if (s[i] != '&') {
			buf_addc(out, (uint8_t)s[i++]);
			continue;
		}
		semi = memchr(s + i, ';', n - i < 12 ? n - i : 12);
		if (!semi)
			return -1;
		len = (size_t)(semi - (s + i)) - 1; /* between '&' and ';' */
		if (len >= 2 && s[i + 1] == '#') {
			int hex = s[i + 2] == 'x' || s[i + 2] == 'X';
			char *end;
			unsigned long c = strtoul(s + i + 2 + hex, &end, hex ? 16 : 10);
			if (end != semi || end == s + i + 2 + hex || c == 0 || c > 0x10ffff ||
			    (c >= 0xd800 && c <= 0xdfff))
				return -1;
			add_utf8(out, c);
		} else {
			for (k = 0; k < sizeof(named) / sizeof(named[0]); k++)
				if (strlen(named[k].name) == len && !memcmp(s + i + 1, named[k].name, len))
					break;
			if (k == sizeof(named) / sizeof(named[0]))
				return -1;
			buf_addc(out, (uint8_t)named[k].c);
		}
		i = (size_t)(semi - s) + 1;
	}
	return 0;
}

/* The text of the first <tag>...</tag> in [p, end), or NULL; *len its length, *after where
 * the element ends. An empty element <tag/> has empty text. */
static const char *element(const char *p, const char *end, const char *tag, size_t *len,
			   const char **after)
{
	size_t tn = strlen(tag);
	const char *q;

	for (q = p; q < end && (q = memchr(q, '<', (size_t)(end - q))); q++) {
		if ((size_t)(end - q) < tn + 2 || memcmp(q + 1, tag, tn))
			continue;
		if (q[tn + 1] == '/' && q + tn + 2 < end && q[tn + 2] == '>') {
			*len = 0;
			*after = q + tn + 3;
			return q + tn + 3;
		}
		if (q[tn + 1] != '>')
			continue;
		p = q + tn + 2;
		for (q = p; q < end && (q = memchr(q, '<', (size_t)(end - q))); q++)
			if ((size_t)(end - q) >= tn + 3 && q[1] == '/' && !memcmp(q + 2, tag, tn) &&
			    q[tn + 2] == '>') {
				*len = (size_t)(q - p);
				*after = q + tn + 3;
				return p;
			}
		return NULL;
	}
	return NULL;
}

/* ISO 8601 as S3 writes it, "2026-12-03T10:16:10.000Z": seconds since the epoch, or -1. */
static int64_t parse_time(const char *s, size_t n)
{
	char tmp[32];
	struct tm tm = { 0 };

	if (!s || n < 19 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (sscanf(tmp, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

static int add_entry(struct listing_page *page, const char *s, size_t n, uint64_t size,
		     int64_t mtime, int is_prefix)
{
	struct buf b = BUF_INIT;

	if (xml_unescape(s, n, &b) < 0) {
		buf_release(&b);
		return -1;
	}
	if (!(page->n & (page->n + 1)) || !page->v)
		page->v = xrealloc(page->v, (2 * page->n + 2) * sizeof(*page->v));
	buf_addc(&b, 0);
	page->v[page->n].name = buf_detach(&b, NULL);
	page->v[page->n].size = size;
	page->v[page->n].mtime = mtime;
	page->v[page->n].is_prefix = is_prefix;
	page->n++;
	return 0;
}

static uint64_t parse_size(const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9' && v < UINT64_MAX / 10; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	return v;
}

/* Every <outer> element's <inner> text in [p, end) added; -1 when one is malformed. */
static int add_all(struct listing_page *page, const char *p, const char *end, const char *outer,
		   const char *inner, int is_prefix)
{
	const char *t, *after, *k, *kafter, *sz, *sa, *lm;
	size_t len, kn, sn, ln;

	while ((t = element(p, end, outer, &len, &after))) {
		k = element(t, t + len, inner, &kn, &kafter);
		if (!k)
			return -1;
		sz = is_prefix ? NULL : element(t, t + len, "Size", &sn, &sa);
		lm = is_prefix ? NULL : element(t, t + len, "LastModified", &ln, &sa);
		if (add_entry(page, k, kn, sz ? parse_size(sz, sn) : 0, lm ? parse_time(lm, ln) : -1,
			      is_prefix) < 0)
			return -1;
		p = after;
	}
	return 0;
}

int listing_parse(const char *xml, size_t n, struct listing_page *page, struct ck_err *err)
{
	const char *end = xml + n, *body, *t, *after;
	size_t len;
	struct buf b = BUF_INIT;

	memset(page, 0, sizeof(*page));
	body = element(xml, end, "ListBucketResult", &len, &after);
	if (!body) {
		/* the root element may carry attributes (xmlns=...) */
		const char *open = memmem(xml, n, "<ListBucketResult", 17);
		const char *gt = open ? memchr(open, '>', (size_t)(end - open)) : NULL;
		const char *close = gt ? memmem(gt, (size_t)(end - gt), "</ListBucketResult>", 19) : NULL;
		if (!close)
			return ck_error(err, CK_ECORRUPT, "not a bucket listing");
		body = gt + 1;
		len = (size_t)(close - body);
	}
	end = body + len;
	if (add_all(page, body, end, "Contents", "Key", 0) < 0 ||
	    add_all(page, body, end, "CommonPrefixes", "Prefix", 1) < 0)
		return ck_error(err, CK_ECORRUPT, "a bucket listing with a malformed entry");
	t = element(body, end, "IsTruncated", &len, &after);
	page->truncated = t && len == 4 && !memcmp(t, "true", 4);
	if (page->truncated) {
		t = element(body, end, "NextContinuationToken", &len, &after);
		if (!t || !len || xml_unescape(t, len, &b) < 0) {
			buf_release(&b);
			return ck_error(err, CK_ECORRUPT,
					"a truncated bucket listing without a continuation token");
		}
		buf_addc(&b, 0);
		page->next = buf_detach(&b, NULL);
	}
	return 0;
}
