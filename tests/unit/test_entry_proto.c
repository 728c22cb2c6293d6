/* The hand decoder of BundleEntryProto against protobuf-c (entry_proto_same.h), on what TF
 * writes (every such entry must be taken by hand) and on two million made-up byte strings:
 * unknown fields, repeated fields, overlong and 10-byte varints, wrong wire types, groups,
 * multi-byte tags, dim names, slices, truncations and flipped bytes. */
#include <stdio.h>
#include <string.h>

#include "entry_proto_same.h"
#include "tap.h"
#include "base/util.h"

#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	return tap_rand(&rng_state);
}

static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* A varint, pad extra groups long (overlong: 0x80 ... 0x00 still reads the same value). */
static void put_varint(struct buf *b, uint64_t v, int pad)
{
	int n = 0;

	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		n++;
		if (v || pad)
			c |= 0x80;
		buf_addc(b, (char)c);
	} while (v);
	while (pad-- > 0)
		buf_addc(b, (char)(pad ? 0x80 : 0x00));
}

/* A value worth trying in a varint field. */
static uint64_t any_value(void)
{
	static const uint64_t edge[] = { 0, 1, 2, 127, 128, 16383, 16384, 0x7fffffff, 0x80000000u,
					 0xffffffffu, 0x100000000ull, (uint64_t)-1, 1ull << 63,
					 (uint64_t)-2, 0x7fffffffffffffffull, 3, 9, 255 };
	switch (below(4)) {
	case 0: return edge[below(sizeof(edge) / sizeof(edge[0]))];
	case 1: return rnd();
	case 2: return rnd() & 0xffff;
	default: return below(30);
	}
}

/* A varint as a writer might spell it: mostly short, sometimes overlong, sometimes a 10-byte
 * one with value bits past 64, sometimes broken (11 bytes, or cut short). */
static void put_any_varint(struct buf *b)
{
	unsigned k = below(20);

	if (k < 14) {
		put_varint(b, any_value(), 0);
	} else if (k < 17) {
		uint64_t v = below(2) ? any_value() : below(4);
		int len = 0;
		for (uint64_t x = v; x; x >>= 7)
			len++;
		put_varint(b, v, (int)below(11 - (len ? len : 1)));
	} else if (k == 17) {  /* ten bytes, the last with bits past 64 */
		for (int i = 0; i < 9; i++)
			buf_addc(b, (char)(0x80 | below(128)));
		buf_addc(b, (char)below(128));
	} else if (k == 18) {  /* eleven bytes: too long */
		for (int i = 0; i < 10; i++)
			buf_addc(b, (char)0x80);
		buf_addc(b, 0);
	} else {  /* a continuation that never ends */
		buf_addc(b, (char)0xff);
	}
}

static void put_tag(struct buf *b, unsigned field, unsigned wt)
{
	if (below(40) == 0)  /* an overlong tag */
		put_varint(b, (uint64_t)field << 3 | wt, 1 + (int)below(3));
	else
		put_varint(b, (uint64_t)field << 3 | wt, 0);
}

static void put_bytes_field(struct buf *b, unsigned field, const struct buf *body)
{
	put_tag(b, field, 2);
	if (below(30) == 0)
		put_varint(b, body->len, 1 + (int)below(6));  /* overlong length */
	else if (below(60) == 0)
		put_varint(b, body->len + 1 + below(3), 0);  /* longer than what follows */
	else
		put_varint(b, body->len, 0);
	buf_add(b, body->p, body->len);
}

/* A field of unknown number or wrong kind, with a matching (or not) value. */
static void put_odd_field(struct buf *b, unsigned field)
{
	unsigned wt = below(6);
	struct buf body = BUF_INIT;

	if (below(8) == 0)
		wt = 6 + below(2);  /* no such wire type */
	put_tag(b, field, wt);
	switch (wt) {
	case 0: put_any_varint(b); break;
	case 1: for (int i = 0; i < 8; i++) buf_addc(b, (char)rnd()); break;
	case 2:
		for (unsigned i = below(6); i > 0; i--)
			buf_addc(b, (char)rnd());
		put_varint(b, body.len, 0);  /* (an empty field: the bytes above stand as junk) */
		break;
	case 5: for (int i = 0; i < 4; i++) buf_addc(b, (char)rnd()); break;
	default: break;  /* groups and bad types: nothing follows */
	}
	buf_release(&body);
}

static void make_dim(struct buf *d)
{
	for (unsigned f = below(4); f > 0; f--) {
		unsigned k = below(12);
		if (k < 9) {
			put_tag(d, 1, 0);
			put_any_varint(d);
		} else if (k == 9) {
			struct buf name = BUF_INIT;
			buf_add(&name, "ab", below(3));
			put_bytes_field(d, 2, &name);
			buf_release(&name);
		} else {
			put_odd_field(d, below(2) ? 3 + below(5) : 1);
		}
	}
}

static void make_shape(struct buf *s)
{
	for (unsigned f = below(6); f > 0; f--) {
		unsigned k = below(12);
		if (k < 8) {
			struct buf d = BUF_INIT;
			make_dim(&d);
			put_bytes_field(s, 2, &d);
			buf_release(&d);
		} else if (k < 10) {
			put_tag(s, 3, 0);
			if (below(3) == 0)
				put_any_varint(s);
			else
				put_varint(s, below(3), (int)(below(4) == 0));
		} else {
			put_odd_field(s, below(2) ? 1 + below(5) : 2);
		}
	}
}

static void make_slice(struct buf *s)
{
	struct buf x = BUF_INIT;

	put_tag(&x, 1, 0);
	put_varint(&x, below(10), 0);
	put_tag(&x, 2, 0);
	put_varint(&x, below(10), 0);
	put_bytes_field(s, 1, &x);
	buf_release(&x);
}

/* A BundleEntryProto-like message: known fields in any order, repeated or missing, with
 * stray ones among them. */
static void make_entry(struct buf *b)
{
	for (unsigned f = below(10); f > 0; f--) {
		unsigned field = 1 + below(7);
		if (below(10) == 0) {
			put_odd_field(b, below(3) ? field : 8 + below(40));
			continue;
		}
		if (field == 2 || field == 7) {
			struct buf sub = BUF_INIT;
			if (field == 2)
				make_shape(&sub);
			else
				make_slice(&sub);
			put_bytes_field(b, field, &sub);
			buf_release(&sub);
		} else if (field == 6) {
			put_tag(b, 6, 5);
			for (int i = 0; i < 4; i++)
				buf_addc(b, (char)rnd());
		} else {
			put_tag(b, field, 0);
			put_any_varint(b);
		}
	}
}

static void damage(struct buf *b)
{
	switch (below(8)) {
	case 0:
		if (b->len)
			b->len = below((unsigned)b->len);  /* truncated */
		break;
	case 1:
		if (b->len)
			b->p[below((unsigned)b->len)] ^= (uint8_t)(1u << below(8));
		break;
	case 2:
		if (b->len)
			b->p[below((unsigned)b->len)] = (uint8_t)rnd();
		break;
	default:
		break;  /* intact */
	}
}

/* What TF writes, packed by protobuf-c from random fields: the hand decoder must take it. */
static int tf_form(void)
{
	Tensorflow__BundleEntryProto e = TENSORFLOW__BUNDLE_ENTRY_PROTO__INIT;
	Tensorflow__TensorShapeProto shape = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
	Tensorflow__TensorShapeProto__Dim dims[8], *pd[8];
	uint8_t out[512];
	size_t n;
	const char *why;
	int rc;

	e.dtype = (Tensorflow__DataType)(int32_t)any_value();
	e.shard_id = (int32_t)any_value();
	e.offset = (int64_t)any_value();
	e.size = (int64_t)any_value();
	e.crc32c = (uint32_t)rnd();
	if (below(4)) {
		shape.n_dim = below(9);
		for (size_t i = 0; i < shape.n_dim; i++) {
			tensorflow__tensor_shape_proto__dim__init(&dims[i]);
			dims[i].size = (int64_t)any_value();
			pd[i] = &dims[i];
		}
		shape.dim = pd;
		shape.unknown_rank = below(8) == 0;
		e.shape = &shape;
	}
	n = tensorflow__bundle_entry_proto__pack(&e, out);
	rc = entry_proto_same(out, n, &why);
	if (rc != SAME_TAKEN)
		diag("TF's form %s: %s", rc == SAME_LEFT ? "left to protobuf-c" : "differs", why);
	return rc == SAME_TAKEN;
}

static const char *hex(const struct buf *b)
{
	static char s[200];
	size_t i;

	for (i = 0; i < b->len && 2 * i + 3 < sizeof(s); i++)
		snprintf(s + 2 * i, 3, "%02x", b->p[i]);
	s[2 * i] = 0;
	return s;
}

int main(void)
{
	struct buf b = BUF_INIT;
	size_t taken = 0, left = 0, bad = 0, tf_bad = 0;
	const char *why;

	/* Fixed cases: the readings where a careless decoder would differ. */
	static const struct {
		const char *bytes;
		size_t n;
		int want;  /* SAME_TAKEN or SAME_LEFT */
	} fixed[] = {
		{ "", 0, SAME_TAKEN },                                   /* all defaults */
		{ "\x08\x01\x12\x00", 4, SAME_TAKEN },                    /* empty shape: present */
		{ "\x08\x81\x80\x80\x80\x00", 6, SAME_TAKEN },            /* overlong dtype */
		{ "\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, SAME_TAKEN }, /* shard -1 */
		{ "\x18\x80\x80\x80\x80\x10", 6, SAME_TAKEN },            /* bits past 32 dropped */
		{ "\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11, SAME_TAKEN }, /* past 64 */
		{ "\x12\x03\x18\x80\x00", 5, SAME_TAKEN },                /* overlong false */
		{ "\x12\x0b\x18\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", 13, SAME_TAKEN },
		{ "\x12\x04\x12\x02\x08\x05", 6, SAME_TAKEN },            /* one dim of 5 */
		{ "\x12\x02\x12\x00", 4, SAME_TAKEN },                    /* a dim without size */
		{ "\x35\x01\x02\x03", 4, SAME_LEFT },                     /* fixed32 cut short */
		{ "\x08\x01\x08\x02", 4, SAME_LEFT },                     /* repeated scalar */
		{ "\x12\x00\x12\x00", 4, SAME_LEFT },                     /* repeated shape */
		{ "\x40\x01", 2, SAME_LEFT },                             /* unknown field 8 */
		{ "\x0d\x01\x02\x03\x04", 5, SAME_LEFT },                 /* dtype as fixed32 */
		{ "\x88\x00\x01", 3, SAME_LEFT },                         /* overlong tag */
		{ "\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 12, SAME_LEFT }, /* 11 bytes */
		{ "\x3a\x00", 2, SAME_LEFT },                             /* a slice */
		{ "\x12\x06\x12\x04\x12\x02\x61\x62", 8, SAME_LEFT },      /* a dim name */
		{ "\x12\x05\x12\x02\x08", 5, SAME_LEFT },                 /* dim runs past shape */
		{ "\x0b\x0c", 2, SAME_LEFT },                             /* a group */
		{ "\x00\x01", 2, SAME_LEFT },                             /* field 0 */
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		int rc = entry_proto_same((const uint8_t *)fixed[i].bytes, fixed[i].n, &why);
		ok(rc == fixed[i].want, "fixed case %zu %s %s", i,
		   fixed[i].want == SAME_TAKEN ? "taken and equal" : "left to protobuf-c", why);
	}

	for (int i = 0; i < 20000; i++)
		tf_bad += !tf_form();
	is_int(tf_bad, 0, "every entry in TF's form is decoded by hand, as protobuf-c decodes it");

	for (int i = 0; i < 2000000; i++) {
		int rc;
		buf_reset(&b);
		if (below(50) == 0) {
			for (unsigned k = below(24); k > 0; k--)
				buf_addc(&b, (char)rnd());
		} else {
			make_entry(&b);
			damage(&b);
		}
		rc = entry_proto_same(b.p, b.len, &why);
		if (rc == SAME_DIFFERENT && bad++ < 5)
			diag("differs (%s) on %s", why, hex(&b));
		taken += rc == SAME_TAKEN;
		left += rc == SAME_LEFT;
	}
	is_int(bad, 0, "made-up entries: the hand decoder never differs from protobuf-c");
	ok(taken > 200000 && left > 200000, "both paths tried (%zu by hand, %zu left)", taken, left);
	buf_release(&b);
	return tap_done();
}
