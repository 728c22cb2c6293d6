/* Index expressions: numpy's basic indexing rules. */
#include <string.h>

#include "tensor/window.h"
#include "tap.h"

static int sel(const char *expr, const int64_t *dims, int rank, struct window *w)
{
	struct ck_err err;
	int rc = window_parse(w, expr, dims, rank, &err);
	if (rc < 0)
		printf("# %s: %s\n", expr, err.msg);
	return rc;
}

int main(void)
{
	int64_t dims[3] = { 6, 5, 4 }, out[3];
	unsigned char el[3];
	struct window w;
	struct ck_err err;

	ok(sel("[0:2, :]", dims, 3, &w) == 0 && window_count(&w) == 2 * 5 * 4, "slice and full");
	is_int(window_shape(&w, out, el), 3, "rank kept");
	window_release(&w);
	ok(sel("[-1]", dims, 3, &w) == 0 && w.drop[0] && window_index(&w, 0, 0) == 5, "negative integer drops");
	is_int(window_shape(&w, out, el), 2, "rank reduced");
	window_release(&w);
	ok(sel("..., ::2", dims, 3, &w) == 0 && w.n[2] == 2 && window_index(&w, 2, 1) == 2, "ellipsis and step");
	window_release(&w);
	ok(sel("[::-2]", dims, 3, &w) == 0 && w.n[0] == 3 && window_index(&w, 0, 0) == 5 && window_index(&w, 0, 2) == 1,
	   "negative step");
	window_release(&w);
	ok(sel("[10:]", dims, 3, &w) == 0 && window_count(&w) == 0, "empty slice clamps");
	window_release(&w);
	ok(sel("[]", dims, 3, &w) == 0 && window_is_all(&w), "empty expression is everything");
	window_release(&w);
	ok(window_parse(&w, "[6]", dims, 3, &err) < 0 && strstr(err.msg, "out of bounds"), "bounds");
	window_release(&w);
	ok(window_parse(&w, "[1,2,3,4]", dims, 3, &err) < 0 && strstr(err.msg, "too many"), "too many");
	window_release(&w);
	ok(window_parse(&w, "[::0]", dims, 3, &err) < 0, "zero step");
	window_release(&w);
	ok(window_parse(&w, "[a]", dims, 3, &err) < 0, "garbage");
	window_release(&w);
	window_all(&w, dims, 3);
	window_summarise(&w, 2);
	ok(w.n[0] == 4 && window_index(&w, 0, 2) == 4 && w.elided[0] && !w.elided[2], "summary keeps edges");
	window_release(&w);
	return tap_done();
}
