/* Output writers shared by the commands: aligned text tables, sizes, and JSON helpers. */
#ifndef CKPT_OUTPUT_H
#define CKPT_OUTPUT_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

/* A table of text cells printed with aligned columns. align has one letter per column:
 * 'l' left, 'r' right. The last column is never padded. */
struct tab {
	size_t ncols;
	char *align;
	size_t *cells;     /* offsets of the cells in text */
	size_t ncells, cap;
	struct buf text;
};

void tab_init(struct tab *t, const char *align);
void tab_add(struct tab *t, const char *s);
void tab_addf(struct tab *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tab_add_u64(struct tab *t, uint64_t v);
/* Print with the first row as a header (bold on a colour terminal, see out_color). When the
 * table is wider than out_width(), the widest left-aligned column is shortened with an
 * ellipsis in the middle, keeping both ends of long tensor names. */
void tab_print(const struct tab *t, FILE *f);
void tab_release(struct tab *t);

/* Terminal width for tables: set by -w/--width (0 = unlimited), else the terminal's width
 * when stdout is a terminal, else unlimited (pipes and files always get whole names). */
void out_set_width(long width);
size_t out_width(void);
/* Colours only on a terminal, never with NO_COLOR set or TERM=dumb. */
int out_color(void);

/* Display width of UTF-8 text (one column per code point). */
size_t text_width(const char *s);

/* "812 B", "1.5 KiB", "440.2 MiB" — or the exact count when exact is set. */
char *fmt_size(char out[32], uint64_t bytes, int exact);
/* "1,234,567" */
char *fmt_count(char out[32], uint64_t n);

/* Name as shown: bytes escaped per buf_add_escaped, appended to b. */
void name_escaped(struct buf *b, const void *name, size_t len);

/* JSON: "name" (escaped) and, when escaping changed it, "name_hex" with the raw bytes. */
void json_add_name(cJSON *obj, const char *key, const void *name, size_t len);
/* Exact unsigned 64-bit integers (cJSON numbers are doubles). */
void json_add_u64(cJSON *obj, const char *key, uint64_t v);
void json_add_i64(cJSON *obj, const char *key, int64_t v);
cJSON *json_shape(const int64_t *dims, int rank);
/* Print obj followed by a newline; 0, or -1 if it could not be rendered. */
int json_print(cJSON *obj, FILE *f);

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
