/* The CLI's output: aligned tables, JSON printing and progress (sizes and names: fmt.c). */
#include "cli/output.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "format/dtype.h"
#include "tensor/values.h"

void tab_init(struct tab *t, const char *align)
{
	memset(t, 0, sizeof(*t));
	t->ncols = strlen(align);
	t->align = xstrdup(align);
	t->width = xcalloc(t->ncols ? t->ncols : 1, sizeof(*t->width));
	t->cell_len = xcalloc(t->ncols ? t->ncols : 1, sizeof(*t->cell_len));
}

/* Room for n more bytes at the end of b (and its NUL); returns where they go. The callers
 * below check once per cell, not once per piece: these loops run for every row of a table. */
static inline char *buf_room(struct buf *b, size_t n)
{
	if (b->cap - b->len < n + 1)
		buf_grow(b, n);
	return (char *)b->p + b->len;
}

static inline size_t width_n(const char *s, size_t n);

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Eight bytes at p, at any alignment, as one word. */
static inline uint64_t word_at(const void *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

/* Continuation bytes (10xxxxxx) in a word: bit 7 set and bit 6, shifted up to bit 7, clear. */
static inline size_t continuations(uint64_t x)
{
	uint64_t hi = x & HIGHS;
	return hi ? (size_t)__builtin_popcountll(hi & ~(x << 1)) : 0;
}

/* The first r bytes (r >= 1; all eight from 8 on) of a word read from memory, the others zero
 * (they count as nothing in continuations). */
static inline uint64_t first_bytes(uint64_t x, size_t r)
{
	if (r >= 8)
		return x;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return x & ~(~0ull >> (8 * r));
#else
	return x & ((1ull << (8 * r)) - 1);
#endif
}

/* Room kept past the end of a table's cells, and of its scratch cell: a word. */
#define CELL_SLACK 8

/* Cells live back to back in one buffer (t->text), each ended by a NUL, with a byte of length
 * apiece (t->lens: offsets took eight) that tab_print walks in order. One allocation for the
 * whole table, not one a cell, in huge pages (xmalloc_huge): a table of 10^5 rows fills
 * 10 MB, and its first touches of small pages cost more than the formatting on a VM. */
struct buf *tab_cell_begin(struct tab *t)
{
	t->cell_at = t->cell.len;
	return &t->cell;
}

/* Room for ncells more cells of nbytes more text (their NULs included) and the terminator. */
static void tab_reserve(struct tab *t, size_t ncells, size_t nbytes)
{
	struct buf *b = &t->text;

	if (t->cap - t->ncells < ncells) {
		size_t cap = t->cap ? t->cap : 64;
		while (cap - t->ncells < ncells)
			cap *= 2;
		t->lens = xrealloc_huge(t->lens, t->cap, cap);
		t->cap = cap;
	}
	if (b->cap - b->len < nbytes + 1) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap - b->len < nbytes + 1)
			cap *= 2;
		b->p = xrealloc_huge(b->p, b->cap, cap);
		b->cap = cap;
	}
}

/* A row's cells are written one after the other into t->cell and go into the table together,
 * in words, once the row is complete: a cell copied as soon as it was written was read back
 * while its bytes were still on their way to the cache (one stall a cell, not a row). The
 * columns are measured here, so that tab_print needs no pass of its own over a table of 10^5
 * rows: a row without a byte of UTF-8 is as wide as its bytes, cell by cell. The scratch row
 * and the table keep a word of room past their ends (CELL_SLACK). */
static void add_row(struct tab *t)
{
	struct buf *b = &t->text;
	size_t n = t->cell.len, at = b->len;
	uint64_t high = 0;
	const uint8_t *src;
	uint8_t *dst;

	if (t->cell.cap < n + CELL_SLACK)
		buf_grow(&t->cell, CELL_SLACK);
	tab_reserve(t, t->ncols, n + CELL_SLACK);
	src = t->cell.p;
	dst = b->p + at;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t x = word_at(src + i);
		memcpy(dst + i, &x, 8);
		high |= first_bytes(x, n - i) & HIGHS;
	}
	b->len += n;
	b->p[b->len] = 0;  /* the buffer's own terminator */
	for (size_t c = 0; c < t->ncols; c++) {
		size_t len = t->cell_len[c], w = high ? width_n((const char *)b->p + at, len) : len;
		t->lens[t->ncells++] = (uint8_t)(len < 255 ? len : 255);
		t->wide |= w != len;
		if (w > t->width[c])
			t->width[c] = w;
		at += len + 1;
	}
	buf_reset(&t->cell);
}

void tab_cell_end(struct tab *t)
{
	struct buf *b = &t->cell;

	t->cell_len[t->col] = b->len - t->cell_at;
	buf_room(b, 1);
	b->p[b->len++] = 0;  /* ends the cell */
	b->p[b->len] = 0;
	if (++t->col == t->ncols) {
		t->col = 0;
		add_row(t);
	}
}

static void add_cell(struct tab *t, const char *s, size_t n)
{
	buf_add(tab_cell_begin(t), s, n);
	tab_cell_end(t);
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
	add_cell(t, s, fmt_u64(s, v));
}

/* Display width of n bytes of UTF-8: the bytes that are not continuation bytes. Tables
 * measure every cell twice, so words are taken eight bytes at a time, the last one padded
 * with zero bytes (which count as nothing). */
static inline size_t width_n(const char *s, size_t n)
{
	size_t cont = 0, i = 0;
	uint64_t x = 0;

	for (; i + 8 <= n; i += 8)
		cont += continuations(word_at(s + i));
	if (i < n) {
		memcpy(&x, s + i, n - i);
		cont += continuations(x);
	}
	return n - cont;
}

int name_is_plain_ascii(const void *name, size_t len)
{
	const unsigned char *s = name;
	uint64_t bad = 0;
	size_t i = 0;

	/* Per byte b of a word, with the high bit handled on its own so that no sum carries into
	 * the next byte: b + 0x60 reaches bit 7 iff b >= 0x20; b + 0x01 iff b == 0x7f; and
	 * (b ^ 0x5c) + 0x7f iff b != '\\'. */
	for (; i + 8 <= len; i += 8) {
		uint64_t x = word_at(s + i), low = x & ~HIGHS;
		bad |= (x & HIGHS) | (~(low + 0x60 * ONES) & HIGHS) | ((low + ONES) & HIGHS) |
		       (~((low ^ 0x5c * ONES) + 0x7f * ONES) & HIGHS);
	}
	for (; i < len; i++)
		bad |= s[i] < 0x20 || s[i] >= 0x7f || s[i] == '\\';
	return !bad;
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
	if (!isatty(STDOUT_FILENO))
		return (size_t)-1;
	/* COLUMNS first, as ls(1) does: it is how a user or an editor's shell says the width. */
	{
		const char *env = getenv("COLUMNS");
		char *end;
		long c = env && *env ? strtol(env, &end, 10) : 0;
		if (env && *env && !*end && c > 20 && c < 100000)
			return (size_t)c;
	}
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return (size_t)-1;
}

int out_color(void)
{
	const char *term = getenv("TERM"), *no = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no && *no) && !(term && !strcmp(term, "dumb"));
}

/* Column widths: widen width[] to fit a row of ncols cells. */
static void measure_row(const struct tab *t, const char *const *cell, const size_t *len,
			size_t *width)
{
	for (size_t c = 0; c < t->ncols; c++) {
		size_t w = width_n(cell[c], len[c]);
		if (w > width[c])
			width[c] = w;
	}
}

/* When the table is wider than out_width(), narrow the widest left-aligned column (down to 12
 * columns at most) and let its longer cells wrap (emit_row). Returns that column, or
 * (size_t)-1. */
static size_t fit_width(const struct tab *t, size_t *width)
{
	size_t total = 0, limit = out_width(), narrow = (size_t)-1, fit;

	/* A last left-aligned column holds notes; it may run past the edge. */
	fit = t->ncols - (t->ncols > 1 && t->align[t->ncols - 1] == 'l');
	for (size_t c = 0; c < fit; c++)
		total += width[c] + (c ? 2 : 0);
	if (total <= limit)
		return narrow;
	for (size_t c = 0; c < fit; c++)
		if (t->align[c] == 'l' && (narrow == (size_t)-1 || width[c] > width[narrow]))
			narrow = c;
	if (narrow != (size_t)-1) {
		size_t excess = total - limit;
		width[narrow] = width[narrow] > excess + 12 ? width[narrow] - excess : 12;
	}
	return narrow;
}

#define ROWS_STORED 1  /* cells of tables (tab_cell_end): a word readable past each one */
#define ROWS_PLAIN 2   /* no cell narrower than its bytes: a cell's width is its length */

static const uint64_t spaces = 0x2020202020202020ull;

/* Copies whole words (ROWS_STORED: a word of each side's room past n is used). */
static inline void copy_words(char *d, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i += 8)
		memcpy(d + i, s + i, 8);
}

static inline void put_spaces(char *d, size_t n)
{
	for (size_t i = 0; i < n; i += 8)
		memcpy(d + i, &spaces, 8);
}

/* Append a row of ncols cells, laid out, to line. A cell of the narrowed column that is wider
 * than it is never cut (cut names look alike and cannot be pasted back): it is printed whole,
 * ending its line, and the row's other cells follow on the next line, in their columns. */
static void emit_row(const struct tab *t, const char *const *cell, const size_t *len,
		     const size_t *width, size_t narrow, int bold, int how, struct buf *line)
{
	size_t last = t->ncols;

	/* Trailing empty cells print nothing, so lines carry no trailing blanks. */
	while (last > 0 && !len[last - 1])
		last--;
	if (bold)
		buf_add(line, "\033[1m", 4);
	for (size_t c = 0; c < last; c++) {
		const char *s = cell[c];
		size_t n = len[c], sw = how & ROWS_PLAIN ? n : width_n(s, n);
		size_t pad = sw < width[c] ? width[c] - sw : 0;
		size_t lead = c ? 2 : 0, trail = c + 1 < last ? pad : 0;
		char *p;
		if (c == narrow && sw > width[c] && c + 1 < last) {
			buf_add(line, "  ", lead);
			buf_add(line, s, n);
			buf_addc(line, '\n');
			/* The next line starts blank up to where this column ends. */
			lead = 0;
			for (size_t k = 0; k <= c; k++)
				lead += width[k] + (k ? 2 : 0);
			p = buf_room(line, lead);
			memset(p, ' ', lead);
			line->len += lead;
			line->p[line->len] = 0;
			continue;
		}
		if (t->align[c] == 'r') {
			lead += pad;
			trail = 0;
		}
		p = buf_room(line, lead + n + trail + CELL_SLACK);
		if (how & ROWS_STORED) {  /* in this order, each overwriting what the last ran over */
			put_spaces(p, lead);
			copy_words(p + lead, s, n);
			put_spaces(p + lead + n, trail);
		} else {
			memset(p, ' ', lead);
			memcpy(p + lead, s, n);
			memset(p + lead + n, ' ', trail);
		}
		line->len += lead + n + trail;
		line->p[line->len] = 0;
	}
	if (bold)
		buf_add(line, "\033[0m", 4);
	buf_addc(line, '\n');
}

/* Lines are gathered and handed to stdio in large pieces: one fwrite a line costs more than
 * the layout itself in a listing of 10^4 rows. */
#define LINES_FLUSH (32u << 10)

static void flush_lines(struct buf *line, FILE *f, size_t at_least)
{
	if (line->len >= at_least && line->len) {
		fwrite(line->p, 1, line->len, f);
		buf_reset(line);
	}
}

/* Stored tables read row after row as one: row 0 is t[0]'s first (the header), row r after it
 * the next row of t[from[r - 1]] (of t[0] when from is NULL); each table's next row starts at
 * its cell[k], text at[k]. */
struct stored {
	const struct tab *const *t;
	size_t ntabs;
	const unsigned char *from;
	size_t r, *cell, *at;
};

/* Row r of stored tables as cells: they lie back to back, NUL-separated, and are found from
 * the previous row's end (tab_print asks for them in order; any other row is walked to). */
static void stored_row(void *ctx, size_t r, const char **cell, size_t *len)
{
	struct stored *s = ctx;

	if (r < s->r) {
		s->r = 0;
		memset(s->cell, 0, s->ntabs * sizeof(size_t));
		memset(s->at, 0, s->ntabs * sizeof(size_t));
	}
	for (; s->r <= r; s->r++) {
		size_t k = s->r && s->from ? s->from[s->r - 1] : 0;
		const struct tab *t = s->t[k];
		for (size_t c = 0; c < t->ncols; c++) {
			const char *text = (const char *)t->text.p + s->at[k];
			size_t n = t->lens[s->cell[k]++];
			if (n == 255)
				n = strlen(text);
			cell[c] = text;
			len[c] = n;
			s->at[k] += n + 1;
		}
	}
}

/* tab_print_measured, with how: ROWS_ flags. */
static void print_rows(const struct tab *t, size_t nrows,
		       void (*row)(void *ctx, size_t r, const char **cell, size_t *len), void *ctx,
		       size_t *width, int how, FILE *f)
{
	size_t *len = xcalloc(t->ncols, sizeof(size_t));
	const char **cell = xcalloc(t->ncols, sizeof(*cell));
	int color = out_color() && f == stdout;
	struct buf line = BUF_INIT;
	size_t narrow = fit_width(t, width);

	for (size_t r = 0; r < nrows; r++) {
		row(ctx, r, cell, len);
		emit_row(t, cell, len, width, narrow, color && r == 0, how, &line);
		flush_lines(&line, f, LINES_FLUSH);
	}
	flush_lines(&line, f, 0);
	buf_release(&line);
	free(cell);
	free(len);
}

void tab_print_merged(const struct tab *const *t, size_t ntabs, const unsigned char *from,
		      size_t nrows, FILE *f)
{
	struct stored s = { t, ntabs, from, 0, xcalloc(ntabs, sizeof(size_t)),
			    xcalloc(ntabs, sizeof(size_t)) };
	size_t *width = xcalloc(t[0]->ncols, sizeof(size_t)), rows = 0;
	int how = ROWS_STORED | ROWS_PLAIN;

	for (size_t k = 0; k < ntabs; k++) {
		rows += t[k]->ncells % t[k]->ncols ? SIZE_MAX / 2 : t[k]->ncells / t[k]->ncols;
		for (size_t c = 0; c < t[0]->ncols; c++)
			width[c] = t[k]->width[c] > width[c] ? t[k]->width[c] : width[c];
		how &= t[k]->wide ? ~ROWS_PLAIN : ~0;
	}
	if (rows != nrows) {
		/* a row left incomplete is not printed, nor measured (nor rows not there) */
		s.from = NULL;
		tab_print_rows(t[0], t[0]->ncells / t[0]->ncols, stored_row, &s, f);
	} else {
		print_rows(t[0], nrows, stored_row, &s, width, how, f);
	}
	free(width);
	free(s.cell);
	free(s.at);
}

void tab_print(const struct tab *t, FILE *f)
{
	tab_print_merged(&t, 1, NULL, t->ncells / t->ncols + (t->ncells % t->ncols != 0), f);
}

void tab_measure(const struct tab *t, const char *const *cell, const size_t *len, size_t *width)
{
	measure_row(t, cell, len, width);
}

void tab_print_measured(const struct tab *t, size_t nrows,
			void (*row)(void *ctx, size_t r, const char **cell, size_t *len), void *ctx,
			size_t *width, FILE *f)
{
	print_rows(t, nrows, row, ctx, width, 0, f);
}

void tab_print_rows(const struct tab *t, size_t nrows,
		    void (*row)(void *ctx, size_t r, const char **cell, size_t *len), void *ctx,
		    FILE *f)
{
	size_t *width = xcalloc(t->ncols, sizeof(size_t)), *len = xcalloc(t->ncols, sizeof(size_t));
	const char **cell = xcalloc(t->ncols, sizeof(*cell));

	for (size_t r = 0; r < nrows; r++) {
		row(ctx, r, cell, len);
		measure_row(t, cell, len, width);
	}
	free(cell);
	free(len);
	tab_print_measured(t, nrows, row, ctx, width, f);
	free(width);
}

void tab_release(struct tab *t)
{
	xfree_huge(t->text.p, t->text.cap);
	buf_release(&t->cell);
	free(t->width);
	free(t->cell_len);
	xfree_huge(t->lens, t->cap);
	free(t->align);
	memset(t, 0, sizeof(*t));
}

static int json_on_stdout;

int json_printed(void)
{
	return json_on_stdout;
}

void json_mark(FILE *f)
{
	json_on_stdout |= f == stdout;
}

int json_print(cJSON *obj, FILE *f)
{
	char *s = cJSON_Print(obj);

	json_mark(f);

	if (!s)
		return -1;
	fputs(s, f);
	fputc('\n', f);
	cJSON_free(s);
	return 0;
}

/* The writer keeps cJSON_Print's layout, byte for byte: an object opens with "{\n", each
 * member sits on its own line indented by one tab a level, members are separated by ",\n",
 * and the closing brace follows a newline at the parent's indent; arrays stay on one line
 * ("[1, 2]", objects inside them opening where the previous item ended); strings escape '"',
 * '\\' and control bytes, everything else passes through. The test compares it to cJSON. */
void jw_init(struct jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	json_mark(f);
}

/* Append n bytes: the writer's many small pieces go through this one inline check. */
static inline void jw_put(struct jw *w, const char *s, size_t n)
{
	char *p = buf_room(&w->b, n);
	memcpy(p, s, n);
	w->b.len += n;
	w->b.p[w->b.len] = 0;
}

static void jw_tabs(struct jw *w, int n)
{
	char *p = buf_room(&w->b, (size_t)n);
	memset(p, '\t', (size_t)n);
	w->b.len += (size_t)n;
	w->b.p[w->b.len] = 0;
}

/* Before a value: the separator from the previous item of an array. */
static void jw_item(struct jw *w)
{
	if (w->depth && w->is_array[w->depth - 1]) {
		if (w->has_items[w->depth - 1])
			jw_put(w, ", ", 2);
		w->has_items[w->depth - 1] = 1;
	}
	if (w->b.len >= LINES_FLUSH)
		flush_lines(&w->b, w->f, 0);
}

static void jw_open(struct jw *w, int is_array)
{
	jw_item(w);
	if (w->depth == JW_MAX_DEPTH)
		abort();  /* a caller's bug, not an input's: documents have a fixed shape */
	jw_put(w, is_array ? "[" : "{\n", is_array ? 1 : 2);
	w->is_array[w->depth] = (unsigned char)is_array;
	w->has_items[w->depth] = 0;
	w->depth++;
}

void jw_begin_object(struct jw *w)
{
	jw_open(w, 0);
}

void jw_begin_array(struct jw *w)
{
	jw_open(w, 1);
}

void jw_end_object(struct jw *w)
{
	w->depth--;
	if (w->has_items[w->depth])
		jw_put(w, "\n", 1);
	jw_tabs(w, w->depth);
	jw_put(w, "}", 1);
}

void jw_end_array(struct jw *w)
{
	w->depth--;
	jw_put(w, "]", 1);
}

/* n bytes as a JSON string, escaped as cJSON escapes. */
static void jw_quoted(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *p = buf_room(b, 6 * n + 2), *start = (char *)b->p;  /* worst case: \u00XX each */

	*p++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*p++ = (char)c;
			continue;
		}
		*p++ = '\\';
		switch (c) {
		case '"': *p++ = '"'; break;
		case '\\': *p++ = '\\'; break;
		case '\b': *p++ = 'b'; break;
		case '\f': *p++ = 'f'; break;
		case '\n': *p++ = 'n'; break;
		case '\r': *p++ = 'r'; break;
		case '\t': *p++ = 't'; break;
		default:
			memcpy(p, "u00", 3);
			p[3] = hex[c >> 4];
			p[4] = hex[c & 15];
			p += 5;
		}
	}
	*p++ = '"';
	*p = 0;
	b->len = (size_t)(p - start);
}

void jw_key(struct jw *w, const char *key)
{
	if (w->has_items[w->depth - 1])
		jw_put(w, ",\n", 2);
	w->has_items[w->depth - 1] = 1;
	jw_tabs(w, w->depth);
	jw_quoted(&w->b, key, strlen(key));
	jw_put(w, ":\t", 2);
}

void jw_string(struct jw *w, const char *s)
{
	jw_item(w);
	jw_quoted(&w->b, s, strlen(s));
}

void jw_raw(struct jw *w, const char *text)
{
	jw_item(w);
	jw_put(w, text, strlen(text));
}

void jw_u64(struct jw *w, uint64_t v)
{
	char s[24];

	jw_item(w);
	jw_put(w, s, fmt_u64(s, v));
}

void jw_i64(struct jw *w, int64_t v)
{
	char s[24];

	jw_item(w);
	jw_put(w, s, fmt_i64(s, v));
}

void jw_key_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_u64(w, v);
}

void jw_key_i64(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_i64(w, v);
}

void jw_key_string(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_string(w, s);
}

void jw_key_shape(struct jw *w, const char *key, const int64_t *dims, int rank)
{
	jw_key(w, key);
	jw_begin_array(w);
	for (int i = 0; i < rank; i++)
		jw_i64(w, dims[i]);
	jw_end_array(w);
}

void jw_name(struct jw *w, const char *key, const void *name, size_t len)
{
	int raw;

	if (name_is_plain_ascii(name, len)) {  /* shown as it is: no copy */
		jw_key(w, key);
		jw_item(w);
		jw_quoted(&w->b, name, len);
		return;
	}
	buf_reset(&w->text);
	buf_reset(&w->hex);
	raw = name_forms(&w->text, &w->hex, name, len);
	jw_key_string(w, key, (char *)w->text.p);
	if (raw) {
		char hkey[64];
		snprintf(hkey, sizeof(hkey), "%s_hex", key);
		jw_key_string(w, hkey, (char *)w->hex.p);
	}
}

void jw_finish(struct jw *w)
{
	while (w->depth)
		if (w->is_array[w->depth - 1])
			jw_end_array(w);
		else
			jw_end_object(w);
	jw_put(w, "\n", 1);
	flush_lines(&w->b, w->f, 0);
	buf_release(&w->b);
	buf_release(&w->text);
	buf_release(&w->hex);
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
