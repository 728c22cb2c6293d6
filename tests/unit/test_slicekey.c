/* OrderedCode and slice keys against doc/FORMAT.md §7.2's vectors (TF's own test values). */
#include <stdlib.h>

#include "format/slicekey.h"
#include "tap.h"

static int enc_signed(int64_t v, const char *hex)
{
	struct buf b = BUF_INIT, h = BUF_INIT;
	const uint8_t *p;
	int64_t back;
	int r;

	oc_put_signed(&b, v);
	for (size_t i = 0; i < b.len; i++)
		buf_addf(&h, "%02x", b.p[i]);
	p = b.p;
	r = !strcmp((char *)h.p, hex) && !oc_get_signed(&p, b.p + b.len, &back) && back == v &&
	    p == b.p + b.len;
	buf_release(&b);
	buf_release(&h);
	return r;
}

int main(void)
{
	static const struct { int64_t v; const char *hex; } vec[] = {
		{ 0, "80" }, { 1, "81" }, { 63, "bf" }, { 64, "c040" }, { 256, "c100" },
		{ 8192, "e02000" }, { -1, "7f" }, { -2, "7e" }, { -8192, "2000" },
		{ -8193, "1fdfff" }, { INT64_MAX, "ffc07fffffffffffffff" },
	};
	struct buf b = BUF_INIT, name = BUF_INIT;
	int all = 1;

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
		ok(enc_signed(vec[i].v, vec[i].hex), "signed %lld -> %s and back", (long long)vec[i].v,
		   vec[i].hex);
	{
		const uint8_t *p;
		int64_t back;
		oc_put_signed(&b, INT64_MIN);
		p = b.p;
		ok(b.len == 10 && !oc_get_signed(&p, b.p + b.len, &back) && back == INT64_MIN,
		   "INT64_MIN round trips in 10 bytes");
	}
	for (int64_t v = -70000; v <= 70000; v += 7) {
		const uint8_t *p;
		int64_t back;
		buf_reset(&b);
		oc_put_signed(&b, v);
		p = b.p;
		if (oc_get_signed(&p, b.p + b.len, &back) || back != v)
			all = 0;
	}
	for (int s = 0; s < 63; s++) {
		int64_t vals[2] = { (int64_t)1 << s, -((int64_t)1 << s) - 1 };
		for (int k = 0; k < 2; k++) {
			const uint8_t *p;
			int64_t back;
			buf_reset(&b);
			oc_put_signed(&b, vals[k]);
			p = b.p;
			if (oc_get_signed(&p, b.p + b.len, &back) || back != vals[k])
				all = 0;
		}
	}
	ok(all, "signed round trips over small values and every power of two");

	buf_reset(&b);
	oc_put_unsigned(&b, 0);
	oc_put_unsigned(&b, 1);
	oc_put_unsigned(&b, 256);
	is_mem(b.p, b.len, "\x00\x01\x01\x02\x01\x00", 6, "unsigned 0, 1, 256");

	{
		int64_t rows01[4] = { 0, 2, 0, -1 }, rows23[4] = { 2, 2, 0, -1 };
		int64_t lk[4] = { 0, 300, 100, 50 }, *ext;
		int rank;
		buf_reset(&b);
		slice_key(&b, "w", 1, 2, rows01);
		is_mem(b.p, b.len, "\x00\x77\x00\x01\x01\x02\x80\x82\x80\x7f", 10, "key of w[0:2,:]");
		buf_reset(&b);
		slice_key(&b, "w", 1, 2, rows23);
		is_mem(b.p, b.len, "\x00\x77\x00\x01\x01\x02\x82\x82\x80\x7f", 10, "key of w[2:4,:]");
		buf_reset(&b);
		slice_key(&b, "layer/kernel", 12, 2, lk);
		is_mem(b.p, b.len, "\x00layer/kernel\x00\x01\x01\x02\x80\xc1\x2c\xc0\x64\xb2", 23,
		       "key of layer/kernel (0,300),(100,50)");
		ok(!slice_key_parse(b.p, b.len, &name, &rank, &ext) && rank == 2 && ext[1] == 300 &&
		   ext[2] == 100 && ext[3] == 50 && name.len == 12, "slice key parses back");
		free(ext);
		buf_reset(&b);
		slice_key(&b, "a\x00\xff", 3, 0, NULL);
		ok(!slice_key_parse(b.p, b.len, &name, &rank, &ext) && rank == 0 && name.len == 3 &&
		   !memcmp(name.p, "a\x00\xff", 3), "names with 00 and FF bytes are escaped and restored");
		free(ext);
		ok(slice_key_parse(b.p, b.len - 1, &name, &rank, &ext) == -1, "a truncated key is rejected");
	}
	buf_release(&b);
	buf_release(&name);
	return tap_done();
}
