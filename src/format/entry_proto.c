/* BundleEntryProto's common form, decoded by hand (layout and rules in entry_proto.h).
 *
 * Values are read as protobuf-c reads them: a varint of up to 10 bytes, its bits past 64
 * dropped; int32 and enum fields keep the low 32 bits; a bool is true when any of its varint's
 * bytes has a value bit set; fixed32 is little-endian. */
#include "format/entry_proto.h"

/* The varint at p (before end): its length, or 0 when it does not end within 10 bytes. */
static inline size_t varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	size_t max = (size_t)(end - p) < 10 ? (size_t)(end - p) : 10;
	uint64_t r = 0;

	if (max && !(*p & 0x80)) {  /* most are one byte */
		*v = *p;
		return 1;
	}

	for (size_t i = 0; i < max; i++) {
		r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = r;
			return i + 1;
		}
	}
	return 0;
}

/* A length-prefixed field's contents [*sub, *subend), p moved past it; 0 when the prefix is
 * longer than the 5 bytes protobuf-c reads or the contents run past end. */
static int bytes_field(const uint8_t **p, const uint8_t *end, const uint8_t **sub,
		       const uint8_t **subend)
{
	uint64_t len;
	size_t k = varint(*p, end, &len);

	if (!k || k > 5 || len > (uint64_t)(end - *p - k))
		return 0;
	*sub = *p + k;
	*subend = *sub + len;
	*p = *subend;
	return 1;
}

/* One Dim: its size, or 0 for a form left to protobuf-c (a name, anything unknown). */
static int decode_dim(const uint8_t *p, const uint8_t *end, int64_t *size)
{
	int seen = 0;

	*size = 0;
	while (p < end) {
		uint64_t v;
		size_t k;
		if (*p++ != 0x08 || seen)  /* size:1 varint, once */
			return 0;
		k = varint(p, end, &v);
		if (!k)
			return 0;
		p += k;
		*size = (int64_t)v;
		seen = 1;
	}
	return 1;
}

static int decode_shape(const uint8_t *p, const uint8_t *end, struct entry_proto *out)
{
	int seen_rank = 0;

	while (p < end) {
		const uint8_t *sub, *subend;
		uint8_t tag = *p++;
		if (tag == 0x12) {  /* dim:2 bytes, repeated */
			if (out->n_dim == ENTRY_PROTO_MAX_DIMS || !bytes_field(&p, end, &sub, &subend) ||
			    !decode_dim(sub, subend, &out->dim[out->n_dim]))
				return 0;
			out->n_dim++;
		} else if (tag == 0x18 && !seen_rank) {  /* unknown_rank:3 varint (bool) */
			uint64_t v;
			size_t k = varint(p, end, &v);
			if (!k)
				return 0;
			out->unknown_rank = 0;
			for (size_t i = 0; i < k; i++)
				out->unknown_rank |= (p[i] & 0x7f) != 0;
			p += k;
			seen_rank = 1;
		} else {
			return 0;
		}
	}
	return 1;
}

int entry_proto_decode(const uint8_t *p, size_t n, struct entry_proto *out)
{
	const uint8_t *end = p + n;
	unsigned seen = 0;

	out->dtype = out->shard_id = 0;
	out->offset = out->size = 0;
	out->crc32c = 0;
	out->has_shape = out->unknown_rank = 0;
	out->n_dim = 0;
	while (p < end) {
		uint8_t tag = *p++;
		unsigned field = tag >> 3;
		uint64_t v = 0;
		size_t k;
		/* Fields 1 to 6, each once: a one-byte tag whose bit is not yet set. */
		if (field < 1 || field > 6 || (tag & 0x80) || (seen & (1u << field)))
			return 0;
		seen |= 1u << field;
		if (field == 2) {
			const uint8_t *sub, *subend;
			if (tag != 0x12 || !bytes_field(&p, end, &sub, &subend) ||
			    !decode_shape(sub, subend, out))
				return 0;
			out->has_shape = 1;
			continue;
		}
		if (field == 6) {
			if (tag != 0x35 || end - p < 4)
				return 0;
			out->crc32c = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				      (uint32_t)p[3] << 24;
			p += 4;
			continue;
		}
		if ((tag & 7) != 0 || !(k = varint(p, end, &v)))
			return 0;
		p += k;
		switch (field) {
		case 1: out->dtype = (int32_t)(uint32_t)v; break;
		case 3: out->shard_id = (int32_t)(uint32_t)v; break;
		case 4: out->offset = (int64_t)v; break;
		case 5: out->size = (int64_t)v; break;
		}
	}
	return 1;
}

int entry_proto_from_pb(const Tensorflow__BundleEntryProto *m, struct entry_proto *out)
{
	out->dtype = (int32_t)m->dtype;
	out->shard_id = m->shard_id;
	out->offset = m->offset;
	out->size = m->size;
	out->crc32c = m->crc32c;
	out->has_shape = m->shape != NULL;
	out->unknown_rank = m->shape && m->shape->unknown_rank;
	out->n_dim = m->shape ? m->shape->n_dim : 0;
	if (out->n_dim > ENTRY_PROTO_MAX_DIMS)
		return -1;
	for (size_t i = 0; i < out->n_dim; i++)
		out->dim[i] = m->shape->dim[i]->size;
	return 0;
}
