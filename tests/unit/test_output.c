/* Output helpers: sizes, counts, aligned tables and their shortening to a width. */
#include <stdio.h>
#include <stdlib.h>

#include "output.h"
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
	ok(!strcmp(render(&t, 20), "NAME               N\n"
				   "a/very/l…kernel    1  note\n"
				   "b                100\n"),
	   "a table wider than its limit shortens the name column in the middle");
	tab_release(&t);
	return tap_done();
}
