/* Keys of stored slices of partitioned tensors: TensorFlow's OrderedCode (doc/FORMAT.md §7.2).
 *
 *   key = unsigned(0) | escaped(name) | unsigned(rank) | { signed(start) signed(length) } x rank
 *   unsigned: 1 length byte L, then L bytes big-endian;  escaped: 00 -> 00 FF, FF -> FF 00, then 00 01
 *   signed:   sign-extended big-endian, shortest form, length marked by leading bits
 */
#ifndef CKPT_SLICEKEY_H
#define CKPT_SLICEKEY_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

void oc_put_unsigned(struct buf *b, uint64_t v);
void oc_put_signed(struct buf *b, int64_t v);
void oc_put_string(struct buf *b, const void *s, size_t n);

/* Decoders: 0 and advance *p on success, -1 on malformed bytes (*p unchanged). */
int oc_get_unsigned(const uint8_t **p, const uint8_t *end, uint64_t *v);
int oc_get_signed(const uint8_t **p, const uint8_t *end, int64_t *v);
int oc_get_string(const uint8_t **p, const uint8_t *end, struct buf *out);

/* extents: rank (start, length) pairs, length -1 for a whole dimension. Appends to out. */
void slice_key(struct buf *out, const void *name, size_t name_len, int rank, const int64_t *extents);

/* Parse a slice key into name and extents (*extents malloc'd, 2*rank values). */
int slice_key_parse(const uint8_t *key, size_t n, struct buf *name, int *rank, int64_t **extents);

#endif
