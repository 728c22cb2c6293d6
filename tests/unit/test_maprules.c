/* maprules: parsing with FILE:LINE errors, renames with numeric rewrites, drop/keep,
 * transposes (composed, T, explicit axes), casts, accounting and unmatched rules, permute. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/dtype.h"
#include "edit/maprules.h"
#include "tap.h"

static struct maprules load(const char *const *lines, int n)
{
	struct maprules m;
	struct ck_err err;

	maprules_init(&m);
	for (int i = 0; i < n; i++)
		if (maprules_parse_line(&m, lines[i], "r", (size_t)i + 1, &err) < 0)
			printf("# %s\n", err.msg);
	return m;
}

static const char *err_of(const char *line)
{
	static struct ck_err err;
	struct maprules m;

	maprules_init(&m);
	err.msg[0] = 0;
	if (maprules_parse_line(&m, line, "f.rules", 7, &err) == 0)
		strcpy(err.msg, "(parsed)");
	maprules_release(&m);
	return err.msg;
}

int main(void)
{
	struct maprules_out o;
	struct ck_err err;
	int64_t d2[2] = { 3, 5 }, d4[4] = { 2, 3, 4, 5 };

	maprules_out_init(&o);
	{
		const char *t[] = {
			"# comment", "", "drop optimizer", "drop ^global_step$",
			"transpose /kernel$ T",
			"s|^bert/encoder/layer_(\\d+)/|bert.encoder.layer.\\{1}.|",
			"s|/kernel$|.weight|",
			"optional s|^cls/x$|cls.y|",
			"also s|/|.|g",
		};
		struct maprules m = load(t, 9);
		size_t un[4];
		is_int(m.n, 7, "comments and blank lines add no rule");
		ok(maprules_apply(&m, "bert/encoder/layer_011/attention/kernel", 39, NULL, 0, DT_FLOAT, 2,
				  d2, &o, &err) == 0, "apply");
		ok(!strcmp((const char *)o.name.p, "bert.encoder.layer.11.attention.weight"),
		   "numeric rewrite drops leading zeros, later rules see earlier names: %s", o.name.p);
		ok(o.transposed && o.dims[0] == 5 && o.dims[1] == 3 && o.perm[0] == 1, "T on 2-D");
		ok(o.accounted && !o.dropped, "accounted");
		maprules_apply(&m, "bert/x/adam_m", 13, NULL, 0, DT_FLOAT, 2, d2, &o, &err);
		ok(o.dropped, "optimizer slot dropped");
		maprules_apply(&m, "global_step", 11, NULL, 0, DT_INT64, 0, NULL, &o, &err);
		ok(o.dropped, "drop by regex");
		maprules_apply(&m, "other/thing", 11, NULL, 0, DT_FLOAT, 0, NULL, &o, &err);
		ok(!o.accounted && !strcmp((const char *)o.name.p, "other.thing"),
		   "an 'also' rule renames but does not account");
		is_int(maprules_unmatched(&m, un, 4), 0, "optional and also rules never count as unmatched");
		maprules_release(&m);
	}
	{
		const char *t[] = { "transpose ^c 3,2,0,1", "transpose ^c T", "cast . bfloat16",
				    "keep ^nothing$", "s/^c$/\\{0+1}/" };
		struct maprules m = load(t, 5);
		size_t un[4];
		ok(maprules_apply(&m, "c", 1, NULL, 0, DT_FLOAT, 4, d4, &o, &err) == 0, "apply 4-D");
		/* 3,2,0,1 of (2,3,4,5) is (5,4,2,3); T of that is (3,2,4,5) = input axes 1,0,2,3 */
		ok(o.dims[0] == 3 && o.dims[1] == 2 && o.dims[2] == 4 && o.dims[3] == 5 &&
		   o.perm[0] == 1 && o.perm[1] == 0 && o.perm[2] == 2 && o.perm[3] == 3,
		   "transposes compose");
		is_int(o.dtype, DT_BFLOAT16, "cast");
		ok(!strcmp((const char *)o.name.p, "c"), "a group that is no number is copied as is");
		is_int(maprules_unmatched(&m, un, 4), 2, "keep ^nothing$ matched nothing, nor a rename that changed nothing");
		is_int(un[0], 3, "its index");
		ok(maprules_apply(&m, "c", 1, NULL, 0, DT_INT32, 4, d4, &o, &err) < 0 &&
		   strstr(err.msg, "r:3: cannot cast") != NULL, "cast of an integer refused: %s", err.msg);
		ok(maprules_apply(&m, "c", 1, NULL, 0, DT_FLOAT, 2, d2, &o, &err) < 0 &&
		   strstr(err.msg, "r:1: transpose 4 axes") != NULL, "axes must fit the rank: %s", err.msg);
		maprules_release(&m);
	}
	{
		const char *t[] = { "s/_(\\d+)$/.\\{1-1}/", "fullname", "add-suffix .w", "strip-prefix x/" };
		struct maprules m = load(t, 4);
		maprules_apply(&m, "x/a_10", 6, NULL, 0, DT_FLOAT, 0, NULL, &o, &err);
		ok(!strcmp((const char *)o.name.p, "a.9.w"), "minus, suffix, strip prefix: %s", o.name.p);
		maprules_apply(&m, "layer_with_weights-0/kernel", 27, "dense/kernel", 12, DT_FLOAT, 0,
			       NULL, &o, &err);
		ok(!strcmp((const char *)o.name.p, "dense/kernel.w"), "fullname: %s", o.name.p);
		maprules_release(&m);
	}
	{
		const char *t[] = { "transpose qkv T", "split ^(.*)/qkv$ 0 \\1/q,\\1/k,\\1/v", "s,/q$,/query,",
				    "keep ." };
		struct maprules m = load(t, 4);
		int64_t d[2] = { 4, 6 };
		ok(maprules_apply(&m, "a/qkv", 5, NULL, 0, DT_FLOAT, 2, d, &o, &err) == 0 &&
		   o.nparts == 3 && o.part_axis == 1, "split: 3 parts along source axis 1 (after T)");
		o.want_part = 0;
		maprules_apply(&m, "a/qkv", 5, NULL, 0, DT_FLOAT, 2, d, &o, &err);
		ok(!strcmp((const char *)o.name.p, "a/query") && o.dims[0] == 2 && o.dims[1] == 4 &&
		   o.transposed, "part 0: named by the groups, later rules apply: %s [%lld,%lld]",
		   o.name.p, (long long)o.dims[0], (long long)o.dims[1]);
		o.want_part = 2;
		maprules_apply(&m, "a/qkv", 5, NULL, 0, DT_FLOAT, 2, d, &o, &err);
		ok(!strcmp((const char *)o.name.p, "a/v"), "part 2: %s", o.name.p);
		o.want_part = -1;
		d[1] = 5;
		ok(maprules_apply(&m, "a/qkv", 5, NULL, 0, DT_FLOAT, 2, d, &o, &err) < 0 &&
		   strstr(err.msg, "r:2: \"a/qkv\" has no axis 0 of a size 3 divides") != NULL,
		   "a size the parts do not divide: %s", err.msg);
		maprules_release(&m);
	}
	ok(!strncmp(err_of("split x 0 a"), "f.rules:7: 'split x 0 a' needs", 30), "one name is no split");
	ok(!strncmp(err_of("split x y a,b"), "f.rules:7: bad axis 'y'", 23), "bad split axis");
	ok(!strcmp(err_of("frobnicate x"), "f.rules:7: unknown rule 'frobnicate' (expected s/RE/REPL/, "
		   "OLD=NEW, drop, keep, transpose, cast, fullname, split, add-prefix, strip-prefix, add-suffix "
		   "or strip-suffix)"), "unknown rule: %s", err_of("frobnicate x"));
	ok(!strncmp(err_of("transpose x 1,1"), "f.rules:7: axis 1 given twice", 29), "axes twice");
	ok(!strncmp(err_of("transpose x 0,2"), "f.rules:7: axes", 15), "not a permutation");
	ok(!strncmp(err_of("transpose x"), "f.rules:7: 'transpose x' needs", 30), "missing axes");
	ok(!strncmp(err_of("cast x int8"), "f.rules:7: cast to 'int8'", 25), "cast to an int");
	ok(!strncmp(err_of("drop ("), "f.rules:7: bad regular expression '('", 37), "bad regex");
	ok(strstr(err_of("s/(a)/\\2/"), "f.rules:7") != NULL, "rename errors carry FILE:LINE: %s",
	   err_of("s/(a)/\\2/"));
	ok(strstr(err_of("s/(a)/\\{1+}/"), "bad numeric rewrite") != NULL, "bad numeric rewrite");
	ok(!strcmp(err_of("  # indented comment"), "(parsed)"), "indented comment");
	{
		uint8_t in[24], out[24];
		int64_t d3[3] = { 2, 3, 4 };
		int p[3] = { 2, 0, 1 };  /* out (4,2,3): out[k][i][j] = in[i][j][k] */
		int good = 1;
		for (int i = 0; i < 24; i++)
			in[i] = (uint8_t)i;
		maprules_permute(in, out, d3, 3, p, 1);
		for (int k = 0; k < 4; k++)
			for (int i = 0; i < 2; i++)
				for (int j = 0; j < 3; j++)
					good &= out[k * 6 + i * 3 + j] == in[i * 12 + j * 4 + k];
		ok(good, "permute in memory");
		{  /* 2-D, blocks that do not divide the sides */
			enum { R = 70, C = 131 };
			static uint32_t a[R * C], b[R * C];
			int64_t d[2] = { R, C };
			int p2[2] = { 1, 0 };
			for (int i = 0; i < R * C; i++)
				a[i] = (uint32_t)i * 2654435761u;
			maprules_permute((const uint8_t *)a, (uint8_t *)b, d, 2, p2, 4);
			good = 1;
			for (int i = 0; i < R; i++)
				for (int j = 0; j < C; j++)
					good &= b[j * R + i] == a[i * C + j];
			ok(good, "2-D transpose in blocks");
		}
		{  /* every element size, in tiles and edges, and rows a multiple of 4 KiB long */
			static const size_t ws[] = { 1, 2, 4, 8, 16 };
			static const int64_t shapes[][2] = { { 37, 83 }, { 64, 1024 }, { 1, 5 }, { 17, 1 } };
			static uint8_t a[64 * 1024 * 16], b[64 * 1024 * 16];
			for (size_t k = 0; k < sizeof(ws) / sizeof(ws[0]); k++)
				for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
					size_t w = ws[k];
					int64_t r = shapes[s][0], c = shapes[s][1];
					int p2[2] = { 1, 0 };
					for (size_t i = 0; i < (size_t)(r * c) * w; i++)
						a[i] = (uint8_t)(i * 2654435761u >> 13);
					maprules_permute(a, b, shapes[s], 2, p2, w);
					good = 1;
					for (int64_t i = 0; i < r; i++)
						for (int64_t j = 0; j < c; j++)
							good &= !memcmp(b + (size_t)(j * r + i) * w,
									a + (size_t)(i * c + j) * w, w);
					ok(good, "2-D transpose of %lld x %lld elements of %zu bytes",
					   (long long)r, (long long)c, w);
				}
		}
		{  /* over a MiB: in parts on two cores, rows of the 2-D case split on tile edges */
			static const int64_t shapes[][3] = { { 1000, 777, 0 }, { 3, 700001, 0 },
							     { 700001, 3, 0 }, { 64, 100, 101 } };
			static const int perms[][3] = { { 1, 0 }, { 1, 0 }, { 1, 0 }, { 2, 0, 1 } };
			static const size_t ws[] = { 4, 1, 2, 4 };
			for (size_t s = 0; s < sizeof(ws) / sizeof(ws[0]); s++) {
				int rank = shapes[s][2] ? 3 : 2;
				int64_t nk = rank == 3 ? shapes[s][2] : 1;
				size_t w = ws[s], n = (size_t)(shapes[s][0] * shapes[s][1] * nk);
				uint8_t *a = malloc(n * w), *b = malloc(n * w);
				for (size_t i = 0; i < n * w; i++)
					a[i] = (uint8_t)(i * 2654435761u >> 13);
				maprules_permute(a, b, shapes[s], rank, perms[s], w);
				good = 1;
				for (int64_t i = 0; i < shapes[s][0]; i++)
					for (int64_t j = 0; j < shapes[s][1]; j++)
						for (int64_t k = 0; k < nk; k++) {
							size_t from = (size_t)((i * shapes[s][1] + j) * nk + k);
							size_t to = rank == 2 ? (size_t)(j * shapes[s][0] + i)
									      : (size_t)((k * shapes[s][0] + i) *
											 shapes[s][1] + j);
							good &= !memcmp(b + to * w, a + from * w, w);
						}
				ok(good, "permutation of %zu elements of %zu bytes in parts", n, w);
				free(a);
				free(b);
			}
		}
		{  /* transposed range by range in output order: within a row, across rows, ragged,
		    * ranges large enough for two cores */
			static const int64_t shapes[][2] = { { 37, 83 }, { 1000, 777 }, { 9, 1 },
							     { 1, 9 }, { 64, 3072 } };
			static const size_t ws[] = { 4, 4, 2, 1, 4 };
			uint64_t seed = 7;
			for (size_t s = 0; s < sizeof(ws) / sizeof(ws[0]); s++) {
				uint64_t r = (uint64_t)shapes[s][0], c = (uint64_t)shapes[s][1], n = r * c;
				size_t w = ws[s];
				uint8_t *a = malloc(n * w), *b = malloc(n * w), *want = malloc(n * w);
				int p2[2] = { 1, 0 };
				for (size_t i = 0; i < n * w; i++)
					a[i] = (uint8_t)(i * 2654435761u >> 13);
				maprules_permute(a, want, shapes[s], 2, p2, w);
				memset(b, 0, n * w);
				for (uint64_t first = 0, k; first < n; first += k) {
					k = 1 + tap_rand(&seed) % (s == 1 ? 5 * r + 300000 : r + 2);
					if (k > n - first)
						k = n - first;
					maprules_transpose_range(a, r, c, first, k, b + first * w, w);
				}
				ok(!memcmp(b, want, n * w), "%llu x %llu elements of %zu bytes "
				   "transposed in ragged parts", (unsigned long long)r,
				   (unsigned long long)c, w);
				free(a);
				free(b);
				free(want);
			}
		}
		ok(maprules_perm_reverses((int[]){ 2, 1, 0 }, 3) && !maprules_perm_reverses(p, 3),
		   "reversal");
	}
	maprules_out_release(&o);
	return tap_done();
}
