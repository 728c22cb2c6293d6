/* Output writers shared by the commands (CLI side): aligned text tables, JSON printing,
 * progress. The formatting they share with the library (sizes, names, JSON fields) is fmt.h. */
#ifndef CKPT_OUTPUT_H
#define CKPT_OUTPUT_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

#include "base/fmt.h"
#include "base/util.h"
#include "tensor/values.h"

/* A table of text cells printed with aligned columns. align has one letter per column:
 * 'l' left, 'r' right. The last column is never padded. */
struct tab {
	size_t ncols;
	char *align;
	uint8_t *lens;     /* each cell's length, 255 for 255 or more (an xmalloc_huge block) */
	size_t ncells, cap;
	struct buf text;   /* the cells, each ended by a NUL (an xmalloc_huge block) */
	struct buf cell;   /* the row being written, its cells each ended by a NUL (tab_cell_begin) */
	size_t *cell_len;  /* of each cell of that row so far */
	size_t cell_at;    /* where in it the cell being written starts */
	size_t *width;     /* of each column so far, measured as rows are added */
	size_t col;        /* the column of the next cell */
	int wide;          /* some cell is narrower than its bytes (UTF-8): widths need measuring */
};

void tab_init(struct tab *t, const char *align);
void tab_add(struct tab *t, const char *s);
void tab_addf(struct tab *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tab_add_u64(struct tab *t, uint64_t v);
/* A cell written in place, without a copy: append its text to the buffer tab_cell_begin
 * returns (buf_add and the formatters of fmt.h and values.h), then call tab_cell_end. */
struct buf *tab_cell_begin(struct tab *t);
void tab_cell_end(struct tab *t);
/* Print with the first row as a header (bold on a colour terminal, see out_color). When the
 * table is wider than out_width(), the widest left-aligned column is shortened with an
 * ellipsis in the middle, keeping both ends of long tensor names. */
void tab_print(const struct tab *t, FILE *f);
/* Rows made apart (on two threads, without a header, and one more table for what neither
 * did), printed as one table of nrows rows: t[0]'s first (the header), then row r (r >= 1)
 * the next row of t[from[r - 1]] (of t[0] when from is NULL). The tables have the same
 * columns; each one's rows come in the order they were added. */
void tab_print_merged(const struct tab *const *t, size_t ntabs, const unsigned char *from,
		      size_t nrows, FILE *f);
/* The same layout for a table too long to hold as cells (a listing of 10^5 tensors): t gives
 * the columns (its cells, if any, are not used), and the rows are made on demand, twice each
 * (once to measure the columns, once to print), so memory stays one row. row(ctx, r, cell,
 * len) sets the text and length of each of the ncols cells of row r (row 0 is the header);
 * the text stays the callback's and must last until its next call. */
void tab_print_rows(const struct tab *t, size_t nrows,
		    void (*row)(void *ctx, size_t r, const char **cell, size_t *len), void *ctx,
		    FILE *f);
/* The two passes of tab_print_rows apart, for rows whose making is itself a pass over the
 * data (a streamed listing checks and measures in one pass, prints in the next): tab_measure
 * widens width (t->ncols entries, zero at first) to fit one row; tab_print_measured prints
 * rows 0..nrows-1 with those widths, each made once by row() in order. */
void tab_measure(const struct tab *t, const char *const *cell, const size_t *len, size_t *width);
void tab_print_measured(const struct tab *t, size_t nrows,
			void (*row)(void *ctx, size_t r, const char **cell, size_t *len), void *ctx,
			size_t *width, FILE *f);
void tab_release(struct tab *t);

/* Terminal width for tables: set by -w/--width (0 = unlimited), else the terminal's width
 * when stdout is a terminal, else unlimited (pipes and files always get whole names). */
void out_set_width(long width);
size_t out_width(void);
/* Colours only on a terminal, never with NO_COLOR set or TERM=dumb. */
int out_color(void);

/* 1 when name_escaped would copy the name unchanged because it is all printable ASCII
 * without a backslash (nearly every real name); 0 when it may need escaping. Checked eight
 * bytes at a time: listings ask it of every name. */
int name_is_plain_ascii(const void *name, size_t len);

/* Print obj followed by a newline; 0, or -1 if it could not be rendered. */
int json_print(cJSON *obj, FILE *f);
/* Whether JSON went to stdout (json_print, jw_init, or json_mark(stdout) by a command that
 * prints it itself): a failing --json command then prints no error object after it. */
void json_mark(FILE *f);
int json_printed(void);

/* A streaming JSON writer whose bytes are exactly json_print's (cJSON's formatted layout:
 * tab indents, "key":<tab>value, ", " between array items), for documents too large to
 * build as a cJSON tree first (a listing of 10^5 tensors: ~15 MB of nodes). Inside an
 * object every value is preceded by jw_key; containers nest up to JW_MAX_DEPTH. Output is
 * buffered and written to f in large pieces; jw_finish ends the document with a newline. */
#define JW_MAX_DEPTH 32
struct jw {
	FILE *f;
	struct buf b;
	struct buf text, hex;  /* scratch for names */
	int depth;
	unsigned char is_array[JW_MAX_DEPTH], has_items[JW_MAX_DEPTH];
};
void jw_init(struct jw *w, FILE *f);
void jw_begin_object(struct jw *w);
void jw_end_object(struct jw *w);
void jw_begin_array(struct jw *w);
void jw_end_array(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_string(struct jw *w, const char *s);
void jw_raw(struct jw *w, const char *text);  /* a number, true, false or null */
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
/* Keyed fields, as json_add_name / json_add_u64 / json_add_i64 / json_shape add them. */
void jw_name(struct jw *w, const char *key, const void *name, size_t len);
void jw_key_u64(struct jw *w, const char *key, uint64_t v);
void jw_key_i64(struct jw *w, const char *key, int64_t v);
void jw_key_string(struct jw *w, const char *key, const char *s);
void jw_key_shape(struct jw *w, const char *key, const int64_t *dims, int rank);
/* Close what is still open, add the final newline, hand everything to f (write errors show
 * in ferror(f), as for any stdio output) and release the buffer. */
void jw_finish(struct jw *w);

/* Progress on stderr for work longer than about a second, only when stderr is a terminal:
 * "label  42%  1.2 GiB/s  ETA 3s". progress_add is cheap enough for every chunk. */
struct progress {
	const char *label;
	uint64_t total, done;
	double start, last;
	int shown;
};
void progress_init(struct progress *p, const char *label, uint64_t total_bytes);
void progress_add(struct progress *p, uint64_t bytes);
void progress_done(struct progress *p);

#endif
