/* Output helpers: sizes, counts, aligned tables and their fitting to a width. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/output.h"
#include "tap.h"

static char *render(struct tab *t, long width)
{
	static char out[4096];
	FILE *f = fmemopen(out, sizeof(out), "w");
	out_set_width(width);
	tab_print(t, f);
	fclose(f);
	return out;
}

/* Cells of a table with multi-byte text at lengths around the 8-byte words the widths are
 * counted in, a note column, and empty trailing cells. */
static const char *const cells[][3] = {
	{ "NAME", "N", "" },
	{ "caf\xc3\xa9/\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "7", "" },
	{ "x", "1234567890", "n\xc3\xb6te" },
	{ "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac-abcdefgh-\xf0\x9f\x98\x80", "", "" },
	{ "abcdefghijklmnop", "0", "" },
};
#define NROWS (sizeof(cells) / sizeof(cells[0]))

static void row_of(void *ctx, size_t r, const char **cell, size_t *len)
{
	(void)ctx;
	for (size_t c = 0; c < 3; c++) {
		cell[c] = cells[r][c];
		len[c] = strlen(cells[r][c]);
	}
}

static char *render_rows(const struct tab *t, long width)
{
	static char out[4096];
	FILE *f = fmemopen(out, sizeof(out), "w");
	out_set_width(width);
	tab_print_rows(t, NROWS, row_of, NULL, f);
	fclose(f);
	return out;
}

/* tab_print_rows lays out exactly as tab_print does. */
static void test_rows(void)
{
	struct tab stored, streamed;
	char want[4096];

	tab_init(&stored, "lrl");
	tab_init(&streamed, "lrl");
	for (size_t r = 0; r < NROWS; r++)
		for (size_t c = 0; c < 3; c++)
			tab_add(&stored, cells[r][c]);
	for (long w = 30; w >= 0; w -= 3) {
		strcpy(want, render(&stored, w));
		ok(!strcmp(render_rows(&streamed, w), want), "rows made on demand, width %ld", w);
	}
	/* 9 columns of name padded to 16, two spaces, "7" right-aligned in 10 */
	ok(strstr(want, "\ncaf\xc3\xa9/\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9                  7\n") != NULL,
	   "multi-byte characters count one column each");
	tab_release(&stored);
	tab_release(&streamed);
}

/* Plain ASCII cells of every length around the 8-byte words they are copied in (and one past
 * 255 bytes, which the stored length cannot hold), laid out alike from a stored table, from
 * two halves joined, and made on demand (byte by byte, with memcpy and memset). */
#define PLAIN_ROWS 22
static char plain_cell[PLAIN_ROWS][3][301];

static void plain_row(void *ctx, size_t r, const char **cell, size_t *len)
{
	(void)ctx;
	for (size_t c = 0; c < 3; c++) {
		cell[c] = plain_cell[r][c];
		len[c] = strlen(plain_cell[r][c]);
	}
}

static char *render_big(const struct tab *const *t, size_t ntabs, const unsigned char *from,
			int streamed)
{
	static char out[1 << 16];
	FILE *f = fmemopen(out, sizeof(out), "w");

	out_set_width(0);
	if (streamed)
		tab_print_rows(t[0], PLAIN_ROWS, plain_row, NULL, f);
	else
		tab_print_merged(t, ntabs, from, PLAIN_ROWS, f);
	fclose(f);
	return strdup(out);
}

static void test_plain_rows(void)
{
	struct tab whole, part[3], streamed;
	const struct tab *whole_p = &whole, *streamed_p = &streamed;
	const struct tab *parts[3] = { &part[0], &part[1], &part[2] };
	unsigned char from[PLAIN_ROWS - 1];
	char line[302 + 21 + 2], *a, *b, *merged;

	for (size_t r = 0; r < PLAIN_ROWS; r++) {
		size_t n = r == PLAIN_ROWS - 1 ? 300 : r;
		memset(plain_cell[r][0], 'a' + (int)(r % 26), n);
		memset(plain_cell[r][1], '0' + (int)(r % 10), PLAIN_ROWS - 1 - r);
		memset(plain_cell[r][2], 'z', r % 9);
	}
	tab_init(&whole, "lrl");
	tab_init(&streamed, "lrl");
	for (size_t k = 0; k < 3; k++)
		tab_init(&part[k], "lrl");
	for (size_t r = 0; r < PLAIN_ROWS; r++) {
		/* the header in part 0; then runs of three rows to parts 0, 1, 2, 1, 0, ... */
		size_t k = r ? (size_t)"\0\1\2\1"[(r - 1) / 3 % 4] : 0;
		if (r)
			from[r - 1] = (unsigned char)k;
		for (size_t c = 0; c < 3; c++) {
			tab_add(&whole, plain_cell[r][c]);
			tab_add(&part[k], plain_cell[r][c]);
		}
	}
	a = render_big(&whole_p, 1, NULL, 0);
	b = render_big(&streamed_p, 1, NULL, 1);
	ok(!strcmp(a, b), "plain cells of 0 to 21 and 300 bytes: stored as made on demand");
	merged = render_big(parts, 3, from, 0);
	ok(!strcmp(a, merged), "and rows made in three tables, merged, as one table");
	/* row 9: nine j's padded to the 300 of column 0, two blanks, twelve 9s right-aligned in
	 * the 21 of column 1, and no note: the line ends there */
	memset(line, ' ', sizeof(line));
	memset(line, 'j', 9);
	memset(line + 302 + 9, '9', 12);
	strcpy(line + 302 + 21, "\n");
	ok(strstr(a, line) != NULL, "a padded row, built from the widths by hand");
	free(a);
	free(b);
	free(merged);
	tab_release(&whole);
	tab_release(&streamed);
	for (size_t k = 0; k < 3; k++)
		tab_release(&part[k]);
}

/* On a terminal, COLUMNS gives the width (as for ls(1)); elsewhere tables are never narrowed,
 * whatever COLUMNS says. Standard output is pointed at a pseudo-terminal for the first. */
static void test_columns(void)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY), slave = -1, saved = dup(STDOUT_FILENO);
	size_t on_tty = 0, on_pipe;

	fflush(stdout);
	if (master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0)
		slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	out_set_width(-1);
	setenv("COLUMNS", "57", 1);
	if (slave >= 0) {
		dup2(slave, STDOUT_FILENO);
		on_tty = out_width();
		dup2(saved, STDOUT_FILENO);
		close(slave);
	}
	on_pipe = out_width();
	unsetenv("COLUMNS");
	if (master >= 0)
		close(master);
	close(saved);
	if (slave >= 0)
		is_int(on_tty, 57, "COLUMNS=57 on a terminal: 57 columns");
	else
		ok(1, "# SKIP no pseudo-terminal");
	ok(on_pipe == (size_t)-1, "COLUMNS=57 on a pipe: no limit");
}

/* name_is_plain_ascii agrees with escaping, for every byte at every place of a word. */
static void test_plain_ascii(void)
{
	char name[24];
	int bad = 0;

	for (size_t len = 1; len <= sizeof(name); len++)
		for (size_t at = 0; at < len; at++)
			for (int c = 0; c < 256; c++) {
				struct buf b = BUF_INIT;
				int plain;
				memset(name, 'a', sizeof(name));
				name[at] = (char)c;
				plain = name_is_plain_ascii(name, len);
				name_escaped(&b, name, len);
				/* plain: escaping changes nothing, and the bytes are ASCII */
				if (plain != (c >= 0x20 && c < 0x7f && c != '\\') ||
				    (plain && (b.len != len || memcmp(b.p, name, len))))
					bad++;
				buf_release(&b);
			}
	ok(!bad, "name_is_plain_ascii: every byte value at every position (%d wrong)", bad);
	ok(name_is_plain_ascii("", 0), "the empty name is plain");
}

/* The streaming writer against cJSON_Print on the same document. */
static void test_json_writer(void)
{
	static const struct { const char *s; size_t n; } names[] = {
		{ "plain/kernel", 12 }, { "", 0 }, { "a\"b\\c", 5 }, { "nul\0inside", 11 },
		{ "bad\xff\xfeutf8", 9 }, { "tab\there\nnl", 12 }, { "caf\xc3\xa9", 5 },
	};
	char all[256];
	cJSON *root = cJSON_CreateObject(), *arr, *o;
	struct jw w;
	char *want, got[16384];
	FILE *f;

	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = 0;
	/* cJSON side */
	cJSON_AddStringToObject(root, "every byte", all);
	cJSON_AddItemToObject(root, "empty object", cJSON_CreateObject());
	cJSON_AddItemToObject(root, "empty array", cJSON_CreateArray());
	json_add_u64(root, "big", UINT64_MAX);
	json_add_i64(root, "negative", INT64_MIN);
	arr = cJSON_AddArrayToObject(root, "items");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int64_t dims[2] = { (int64_t)i, 3 };
		o = cJSON_CreateObject();
		json_add_name(o, "name", names[i].s, names[i].n);
		cJSON_AddItemToObject(o, "shape", json_shape(dims, (int)(i % 3)));
		cJSON_AddNullToObject(o, "none");
		cJSON_AddBoolToObject(o, "yes", 1);
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_AddItemToArray(arr, cJSON_CreateString("a string in an array"));
	o = cJSON_AddObjectToObject(root, "last");
	json_add_u64(o, "n", 0);
	want = cJSON_Print(root);
	/* writer side */
	f = fmemopen(got, sizeof(got), "w");
	jw_init(&w, f);
	jw_begin_object(&w);
	jw_key_string(&w, "every byte", all);
	jw_key(&w, "empty object");
	jw_begin_object(&w);
	jw_end_object(&w);
	jw_key(&w, "empty array");
	jw_begin_array(&w);
	jw_end_array(&w);
	jw_key_u64(&w, "big", UINT64_MAX);
	jw_key_i64(&w, "negative", INT64_MIN);
	jw_key(&w, "items");
	jw_begin_array(&w);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int64_t dims[2] = { (int64_t)i, 3 };
		jw_begin_object(&w);
		jw_name(&w, "name", names[i].s, names[i].n);
		jw_key_shape(&w, "shape", dims, (int)(i % 3));
		jw_key(&w, "none");
		jw_raw(&w, "null");
		jw_key(&w, "yes");
		jw_raw(&w, "true");
		jw_end_object(&w);
	}
	jw_string(&w, "a string in an array");
	jw_end_array(&w);
	jw_key(&w, "last");
	jw_begin_object(&w);
	jw_key_u64(&w, "n", 0);
	jw_finish(&w);  /* closes "last" and the root */
	fclose(f);
	ok(strlen(got) == strlen(want) + 1 && !strncmp(got, want, strlen(want)) &&
	   got[strlen(want)] == '\n', "the JSON writer prints what cJSON_Print prints");
	if (strncmp(got, want, strlen(want)))
		printf("# want:\n%s\n# got:\n%s", want, got);
	cJSON_free(want);
	cJSON_Delete(root);
}

int main(void)
{
	char s[32];
	struct tab t;

	ok(!strcmp(fmt_size(s, 0, 0), "0 B") && !strcmp(fmt_size(s, 1023, 0), "1023 B"), "bytes");
	ok(!strcmp(fmt_size(s, 1024, 0), "1.00 KiB") && !strcmp(fmt_size(s, 1536 * 1024, 0), "1.50 MiB"),
	   "KiB and MiB with three significant digits");
	ok(!strcmp(fmt_size(s, 440ull << 20, 0), "440 MiB"), "no decimals above 100");
	ok(!strcmp(fmt_size(s, 5, 1), "5"), "exact sizes");
	ok(!strcmp(fmt_count(s, 1234567), "1,234,567") && !strcmp(fmt_count(s, 999), "999") &&
	   !strcmp(fmt_count(s, 0), "0"), "thousands separators");
	/* A share rounds to all or none only when it is exactly that (cast's 926,844 of
	 * 926,860 values rounded once read "100.00%"). */
	ok(!strcmp(fmt_percent(s, 926844, 926860, 2), "99.998%"), "near all: %s", s);
	ok(!strcmp(fmt_percent(s, 926860, 926860, 2), "100.00%"), "all: %s", s);
	ok(!strcmp(fmt_percent(s, 1, 1000000, 2), "0.0001%"), "near none: %s", s);
	ok(!strcmp(fmt_percent(s, 0, 1000000, 2), "0.00%"), "none: %s", s);
	ok(!strcmp(fmt_percent(s, 1, 8, 1), "12.5%"), "ordinary: %s", s);
	ok(!strcmp(fmt_percent(s, 0, 0, 2), "-"), "of nothing: %s", s);
	ok(!strcmp(fmt_percent(s, UINT64_MAX - 1, UINT64_MAX, 2), "<100%"), "beyond a double: %s", s);
	ok(!strcmp(fmt_percent(s, 1, UINT64_MAX, 2), ">0%"), "beyond a double, near none: %s", s);

	tab_init(&t, "lrl");
	tab_add(&t, "NAME");
	tab_add(&t, "N");
	tab_add(&t, "");
	tab_add(&t, "a/very/long/tensor/name/kernel");
	tab_add(&t, "1");
	tab_add(&t, "note");
	tab_add(&t, "b");
	tab_add(&t, "100");
	tab_add(&t, "");
	ok(!strcmp(render(&t, 0), "NAME                              N\n"
				  "a/very/long/tensor/name/kernel    1  note\n"
				  "b                               100\n"),
	   "columns aligned, numbers right, no trailing blanks");
	/* Never cut: names cut in the middle look alike (36 tensors of a transformer did) and
	 * cannot be pasted back. A name too long for its column is printed whole on a line of its
	 * own, and its row goes on below it, aligned. */
	ok(!strcmp(render(&t, 20), "NAME               N\n"
				   "a/very/long/tensor/name/kernel\n"
				   "                   1  note\n"
				   "b                100\n"),
	   "a table wider than its limit wraps the long names of the narrowed column");
	tab_release(&t);
	test_rows();
	test_plain_rows();
	test_columns();
	test_plain_ascii();
	test_json_writer();
	return tap_done();
}
