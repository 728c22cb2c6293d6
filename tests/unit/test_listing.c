/* listing: ListObjectsV2 pages as S3 and s3rver write them, entities, truncation, and
 * malformed answers. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/listing.h"
#include "tap.h"

static const char page1[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Name>bkt</Name><Prefix>run/</Prefix><KeyCount>4</KeyCount><MaxKeys>1000</MaxKeys>"
	"<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
	"<Contents><Key>run/checkpoint</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
	"<ETag>&quot;abc&quot;</ETag><Size>77</Size><StorageClass>STANDARD</StorageClass></Contents>"
	"<Contents><Key>run/a&amp;b &lt;1&gt;.index</Key><Size>123456789012</Size></Contents>"
	"<Contents><Key>run/caf&#233;&#x2603;</Key><Size>0</Size></Contents>"
	"<CommonPrefixes><Prefix>run/sub/</Prefix></CommonPrefixes>"
	"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&amp;x"
	"</NextContinuationToken></ListBucketResult>";

int main(void)
{
	struct listing_page pg;
	struct ck_err err;
	struct buf b = BUF_INIT;

	ok(listing_parse(page1, strlen(page1), &pg, &err) == 0, "a page with keys and a prefix parses");
	is_int(pg.n, 4, "four entries");
	ok(pg.n == 4 && !strcmp(pg.v[0].name, "run/checkpoint") && pg.v[0].size == 77 &&
		   !pg.v[0].is_prefix,
	   "a key and its size");
	ok(pg.n == 4 && pg.v[0].mtime == 1767225600 && pg.v[1].mtime == -1,
	   "its LastModified (2026-01-01T00:00:00Z), -1 when absent");
	ok(pg.n == 4 && !strcmp(pg.v[1].name, "run/a&b <1>.index") && pg.v[1].size == 123456789012ull,
	   "named entities decoded, a size over 32 bits");
	ok(pg.n == 4 && !strcmp(pg.v[2].name, "run/caf\xc3\xa9\xe2\x98\x83"),
	   "numeric entities decoded to UTF-8");
	ok(pg.n == 4 && !strcmp(pg.v[3].name, "run/sub/") && pg.v[3].is_prefix, "a common prefix");
	ok(pg.truncated && pg.next &&
		   !strcmp(pg.next, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&x"),
	   "truncated, with its continuation token decoded");
	listing_page_release(&pg);

	ok(listing_parse("<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount>"
			 "</ListBucketResult>", 91, &pg, &err) == 0 && pg.n == 0 && !pg.truncated,
	   "an empty listing");
	listing_page_release(&pg);
	ok(listing_parse("<ListBucketResult><Contents/></ListBucketResult>", 48, &pg, &err) ==
		   CK_ECORRUPT,
	   "an entry without a key is refused");
	listing_page_release(&pg);
	ok(listing_parse("<ListBucketResult><Contents><Key>a&bogus;</Key></Contents></ListBucketResult>",
			 77, &pg, &err) == CK_ECORRUPT,
	   "an unknown entity is refused");
	listing_page_release(&pg);
	ok(listing_parse("<ListBucketResult><Contents><Key>abc", 36, &pg, &err) == CK_ECORRUPT,
	   "a cut answer is refused");
	listing_page_release(&pg);
	ok(listing_parse("<Error><Code>AccessDenied</Code></Error>", 40, &pg, &err) == CK_ECORRUPT &&
		   strstr(err.msg, "not a bucket listing"),
	   "an error document is not a listing");
	listing_page_release(&pg);
	ok(listing_parse("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", 68,
			 &pg, &err) == CK_ECORRUPT,
	   "truncated without a token is refused (it would list forever)");
	listing_page_release(&pg);

	ok(xml_unescape("&#0;", 4, &b) < 0 && xml_unescape("&#xD800;", 8, &b) < 0 &&
		   xml_unescape("a&amp", 5, &b) < 0,
	   "NUL, a surrogate and an unterminated entity are refused");
	buf_release(&b);
	return tap_done();
}
