/* Text and JSON formatting that builds, never prints: sizes, counts, names as shown, JSON
 * fields. Shared by the library (summaries, value layouts) and the CLI (output.h). */
#ifndef CKPT_FMT_H
#define CKPT_FMT_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "base/util.h"

/* Display width of UTF-8 text (one column per code point). */
size_t text_width(const char *s);

/* "812 B", "1.5 KiB", "440.2 MiB" — or the exact count when exact is set. */
char *fmt_size(char out[32], uint64_t bytes, int exact);
/* "1,234,567" */
char *fmt_count(char out[32], uint64_t n);
/* part of whole as "12.5%" with `decimals` decimals, or more where those would round a part
 * that is not all to "100%" or one that is not nothing to "0%" (926,844 of 926,860 is
 * "99.998%", never "100.00%"); "-" when whole is 0. */
char *fmt_percent(char out[32], uint64_t part, uint64_t whole, int decimals);

/* Name as shown: bytes escaped per buf_add_escaped, appended to b. */
void name_escaped(struct buf *b, const void *name, size_t len);
/* JSON: "name" (escaped) and, when escaping changed it, "name_hex" with the raw bytes. */
void json_add_name(cJSON *obj, const char *key, const void *name, size_t len);
/* Exact unsigned 64-bit integers (cJSON numbers are doubles). */
void json_add_u64(cJSON *obj, const char *key, uint64_t v);
void json_add_i64(cJSON *obj, const char *key, int64_t v);
cJSON *json_shape(const int64_t *dims, int rank);
/* A name's JSON forms: its escaped text, and its bytes in hex when escaping changed them
 * (returns 1 then). Both buffers come back NUL-terminated, even when empty. */
int name_forms(struct buf *text, struct buf *hex, const void *name, size_t len);

#endif
