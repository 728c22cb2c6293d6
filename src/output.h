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
	char **cells;
	size_t ncells, cap;
};

void tab_init(struct tab *t, const char *align);
void tab_add(struct tab *t, const char *s);
void tab_addf(struct tab *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tab_print(const struct tab *t, FILE *f);
void tab_release(struct tab *t);

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

#endif
