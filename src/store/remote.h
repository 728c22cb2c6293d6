/* The store's remote backend (file.h): objects behind https://, http://, s3:// and gs:// read
 * with HTTP range requests.
 *
 * Opening an object learns its size: a .index by one suffix range (its footer is at its end,
 * and a small index arrives whole), a data shard by HEAD, anything else (a state file, a
 * .meta) by a range from its start that usually holds all of it. Reads go through a few cached
 * blocks so that a reader walking an index block by block makes few requests: a miss in a
 * .index reads on to what is cached (the rest of the index, at most 4 MiB), sequential misses
 * read ahead in growing steps (from 64 KiB, or from 1 MiB inside a window given to advise(),
 * up to 4 MiB), and a lone read reads its bytes and no more (`show T` fetches T's range). What stat and listing learn is remembered for the process, so that resolving a
 * path and then opening it does not ask twice. */
#ifndef CKPT_REMOTE_H
#define CKPT_REMOTE_H

#include "store/file.h"

int remote_open(const char *url, struct ck_file **out, struct ck_err *err);
int remote_stat(const char *url, struct ck_stat *st, struct ck_err *err);
/* S3 and GCS folders are listed (ListObjectsV2, one page of 1000 at a time); an http(s)
 * folder cannot be: CK_EUNSUP. */
int remote_list(const char *url, int (*fn)(void *arg, const char *name), void *arg,
		struct ck_err *err);

#endif
