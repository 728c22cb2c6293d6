/* One page of an S3 ListObjectsV2 answer (GCS's XML API answers the same shape), parsed by
 * hand: the keys with their sizes, the common prefixes, and whether more pages follow.
 *
 *   <ListBucketResult>
 *     <IsTruncated>true</IsTruncated>
 *     <Contents><Key>run/a.index</Key><Size>1234</Size>...</Contents> ...
 *     <CommonPrefixes><Prefix>run/sub/</Prefix></CommonPrefixes> ...
 *     <NextContinuationToken>...</NextContinuationToken>
 *   </ListBucketResult>
 *
 * Text is entity-decoded (&amp; &lt; &gt; &quot; &apos; &#N; &#xN;). */
#ifndef CKPT_LISTING_H
#define CKPT_LISTING_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct listing_entry {
	char *name;     /* the key, or the common prefix (ending in the delimiter) */
	uint64_t size;  /* a key's size; 0 for a prefix */
	int64_t mtime;  /* a key's LastModified (seconds since the epoch), or -1 */
	int is_prefix;
};

struct listing_page {
	struct listing_entry *v;
	size_t n;
	int truncated;  /* more pages follow */
	char *next;     /* the continuation token when truncated, else NULL */
};

/* Parse xml[0..n). CK_ECORRUPT ("not a bucket listing") when it is not a ListBucketResult or
 * an element is unterminated; release page with listing_page_release either way. */
int listing_parse(const char *xml, size_t n, struct listing_page *page, struct ck_err *err);
void listing_page_release(struct listing_page *page);

/* Append to out the entity-decoded form of s[0..n); -1 for a malformed entity. */
struct buf;
int xml_unescape(const char *s, size_t n, struct buf *out);

#endif
