/* Aligned tables, human-readable sizes and JSON helpers. */
#include "output.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

void tab_init(struct tab *t, const char *align)
{
	memset(t, 0, sizeof(*t));
	t->ncols = strlen(align);
	t->align = xstrdup(align);
}

/* Cells live back to back in one buffer (t->text); t->cells holds their offsets until
 * tab_print turns them into pointers. One allocation for the whole table, not one a cell. */
static void add_cell(struct tab *t, const char *s, size_t n)
{
	if (t->ncells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xreallocarray(t->cells, t->cap, sizeof(*t->cells));
	}
	t->cells[t->ncells++] = t->text.len;
	buf_add(&t->text, s, n);
	buf_addc(&t->text, 0);
}

void tab_add(struct tab *t, const char *s)
{
	add_cell(t, s, strlen(s));
}

void tab_addf(struct tab *t, const char *fmt, ...)
{
	char small[256];
	struct buf b = BUF_INIT;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if ((size_t)n < sizeof(small)) {
		add_cell(t, small, (size_t)n);
		return;
	}
	buf_grow(&b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf((char *)b.p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	add_cell(t, (char *)b.p, (size_t)n);
	buf_release(&b);
}

void tab_add_u64(struct tab *t, uint64_t v)
{
	char s[24];
	fmt_u64(s, v);
	tab_add(t, s);
}

size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static long width_opt = -1;

void out_set_width(long width)
{
	width_opt = width;
}

size_t out_width(void)
{
	struct winsize ws;

	if (width_opt >= 0)
		return width_opt ? (size_t)width_opt : (size_t)-1;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return (size_t)-1;
}

int out_color(void)
{
	const char *term = getenv("TERM"), *no = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no && *no) && !(term && !strcmp(term, "dumb"));
}

static void add_spaces(struct buf *b, size_t n)
{
	buf_grow(b, n);
	memset(b->p + b->len, ' ', n);
	b->len += n;
	b->p[b->len] = 0;
}

/* Append s shortened to w display columns, with an ellipsis in the middle. */
static void add_shortened(struct buf *b, const char *s, size_t w)
{
	size_t len = text_width(s), keep_head, keep_tail, col = 0;
	const char *p = s, *head_end;

	if (len <= w || w < 5) {
		buf_add(b, s, strlen(s));
		return;
	}
	keep_head = (w - 1) * 3 / 5;  /* scopes lead: keep more of the start */
	keep_tail = w - 1 - keep_head;
	for (; *p && col < keep_head; p++)
		if (((unsigned char)p[1] & 0xc0) != 0x80)
			col++;
	while (((unsigned char)*p & 0xc0) == 0x80)
		p++;
	head_end = p;
	buf_add(b, s, (size_t)(head_end - s));
	buf_add(b, "\xe2\x80\xa6", 3);  /* … */
	/* Skip to the last keep_tail code points. */
	for (col = len - keep_head; col > keep_tail && *p; p++)
		if (((unsigned char)p[1] & 0xc0) != 0x80)
			col--;
	buf_add(b, p, strlen(p));
}

void tab_print(const struct tab *t, FILE *f)
{
	size_t *width = xcalloc(t->ncols, sizeof(size_t));
	size_t rows = t->ncells / t->ncols, total = 0, limit = out_width(), shrink = (size_t)-1, fit;
	int color = out_color() && f == stdout;

	const char *base = (const char *)t->text.p;
	size_t *cw = xcalloc(t->ncells + 1, sizeof(size_t));
	struct buf line = BUF_INIT;

	for (size_t i = 0; i < rows * t->ncols; i++) {
		cw[i] = text_width(base + t->cells[i]);
		if (cw[i] > width[i % t->ncols])
			width[i % t->ncols] = cw[i];
	}
	/* A last left-aligned column holds notes; it may run past the edge. */
	fit = t->ncols - (t->ncols > 1 && t->align[t->ncols - 1] == 'l');
	for (size_t c = 0; c < fit; c++)
		total += width[c] + (c ? 2 : 0);
	if (total > limit) {
		/* Shorten the widest left-aligned column, down to 12 columns at most. */
		for (size_t c = 0; c < fit; c++)
			if (t->align[c] == 'l' && (shrink == (size_t)-1 || width[c] > width[shrink]))
				shrink = c;
		if (shrink != (size_t)-1) {
			size_t excess = total - limit;
			width[shrink] = width[shrink] > excess + 12 ? width[shrink] - excess : 12;
		}
	}
	for (size_t r = 0; r < rows; r++) {
		size_t last = t->ncols;
		/* Trailing empty cells print nothing, so lines carry no trailing blanks. */
		while (last > 0 && !base[t->cells[r * t->ncols + last - 1]])
			last--;
		buf_reset(&line);
		if (color && r == 0)
			buf_add(&line, "\033[1m", 4);
		for (size_t c = 0; c < last; c++) {
			const char *s = base + t->cells[r * t->ncols + c];
			size_t sw = cw[r * t->ncols + c], pad = sw < width[c] ? width[c] - sw : 0;
			if (c)
				buf_add(&line, "  ", 2);
			if (c == shrink && sw > width[c]) {
				add_shortened(&line, s, width[c]);
				pad = 0;
			} else if (t->align[c] == 'r') {
				add_spaces(&line, pad);
				pad = 0;
				buf_add(&line, s, strlen(s));
			} else {
				buf_add(&line, s, strlen(s));
			}
			if (c + 1 < last)
				add_spaces(&line, pad);
		}
		if (color && r == 0)
			buf_add(&line, "\033[0m", 4);
		buf_addc(&line, '\n');
		fwrite(line.p, 1, line.len, f);
	}
	buf_release(&line);
	free(cw);
	free(width);
}

void tab_release(struct tab *t)
{
	buf_release(&t->text);
	free(t->cells);
	free(t->align);
	memset(t, 0, sizeof(*t));
}

char *fmt_size(char out[32], uint64_t bytes, int exact)
{
	static const char *units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned __int128 div = 1024;
	uint64_t hundredths, whole, frac;
	int u = 0, decimals;
	size_t n;

	if (exact || bytes < 1024) {
		n = fmt_u64(out, bytes);
		if (!exact)
			memcpy(out + n, " B", 3);
		return out;
	}
	while (u < 5 && (unsigned __int128)bytes >= div * 1024) {
		div *= 1024;
		u++;
	}
	/* Three significant digits, rounded half up, in integer arithmetic. */
	hundredths = (uint64_t)(((unsigned __int128)bytes * 100 + div / 2) / div);
	decimals = hundredths < 1000 ? 2 : hundredths < 10000 ? 1 : 0;
	if (decimals == 1)
		hundredths = (uint64_t)(((unsigned __int128)bytes * 10 + div / 2) / div) * 10;
	else if (decimals == 0)
		hundredths = (uint64_t)(((unsigned __int128)bytes + div / 2) / div) * 100;
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

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, const char *label, uint64_t total_bytes)
{
	memset(p, 0, sizeof(*p));
	p->label = label;
	p->total = total_bytes;
	p->start = p->last = isatty(STDERR_FILENO) ? now() : -1;
}

void progress_add(struct progress *p, uint64_t bytes)
{
	double t, rate;
	char s1[32];

	p->done += bytes;
	if (p->start < 0)
		return;
	t = now();
	/* Quiet for the first second, then at most ten updates a second. */
	if (t - p->start < 1.0 || t - p->last < 0.1)
		return;
	p->last = t;
	rate = (double)p->done / (t - p->start);
	fprintf(stderr, "\r%s  %3.0f%%  %s/s", p->label,
		p->total ? 100.0 * (double)p->done / (double)p->total : 0.0,
		fmt_size(s1, (uint64_t)rate, 0));
	if (p->total > p->done && rate > 0)
		fprintf(stderr, "  ETA %.0fs", (double)(p->total - p->done) / rate);
	fputs("\033[K", stderr);
	p->shown = 1;
}

void progress_done(struct progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}
