/* Allocation that never returns NULL, and a growable byte buffer. */
#ifndef CKPT_UTIL_H
#define CKPT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Out of memory is the one failure that does not return: a failed x*alloc calls handler(n),
 * which must not return (the CLI's prints "out of memory" and exits 2); without one, abort(). */
void xalloc_on_failure(void (*handler)(size_t n));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
void *xmemdup(const void *p, size_t n);  /* also NUL-terminates the copy */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last component of a path ("b" of "a/b"), and a copy of the folder holding it ("a";
 * "." for a bare name, "/" for "/b"). */
const char *path_base(const char *path);
char *path_folder(const char *path);
/* 1 if s ends with suffix; mem_has_suffix for n bytes at p that need not end in a NUL. */
int has_suffix(const char *s, const char *suffix);
int mem_has_suffix(const void *p, size_t n, const char *suffix);
/* A buffer for read()/pread() to fill, page-aligned; free it with free(). The kernel copies
 * from the page cache about 4x slower into a destination that is not 64-byte aligned (measured
 * by bench/, AMD EPYC), and glibc puts large malloc blocks 16 bytes past a page boundary. */
void *xmalloc_io(size_t n);
/* 1 if the CPU runs AVX2 (x86-64 with GCC or Clang; else 0): block loops with an AVX2 copy of
 * their C (target("avx2")) choose it by this. Safe from any thread. */
int cpu_has_avx2(void);
/* 1 if the CPU runs AVX-512 F and BW, and FMA (every such CPU has it) (the same compilers;
 * else 0), for target("avx512f,avx512bw,fma") copies. Safe from any thread. */
int cpu_has_avx512(void);

/* Large blocks that get filled (a bundle's entries and names): from XMALLOC_HUGE_MIN bytes on,
 * a mapping of their own, 2 MiB-aligned and marked for transparent huge pages, so that filling
 * them costs a page fault per 2 MiB instead of one per 4 KiB. A fault costs about 0.2 us on
 * bare metal but over 10 us on some virtual machines, where `ckpt list` of 10 000 tensors
 * spent a third of its time in 400 of them. Smaller blocks come from malloc. Free with
 * xfree_huge and the size asked for. */
#define XMALLOC_HUGE_MIN (256u << 10)
void *xmalloc_huge(size_t n);
void xfree_huge(void *p, size_t n);
/* Grow (or shrink) an xmalloc_huge block of old bytes to n, keeping its contents; for arrays
 * that grow to megabytes (a writer's entries). */
void *xrealloc_huge(void *p, size_t old, size_t n);

/* qsort that accepts an empty array with a NULL base (qsort itself may not). An array already
 * in order (entries put in disk order, most often already in it) costs one pass, not a sort. */
static inline void sort_array(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	size_t i = 1;

	while (i < n && cmp((char *)base + (i - 1) * size, (char *)base + i * size) <= 0)
		i++;
	if (i < n)
		qsort(base, n, size, cmp);
}

/* A growable byte buffer; owns its bytes. Always keeps a NUL after len for convenience. */
struct buf {
	uint8_t *p;
	size_t len, cap;
};
#define BUF_INIT { NULL, 0, 0 }

void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, uint8_t c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);   /* len = 0, keeps the memory */
void buf_release(struct buf *b); /* frees the memory */
char *buf_detach(struct buf *b, size_t *len);
/* tmp emptied, then the name as messages show it (buf_add_name_msg, below); returns tmp's
 * text, valid until tmp changes. For one name in one error message. */
const char *name_msg(struct buf *tmp, const void *p, size_t n);

/* Little-endian fixed-width and LEB128 varint encoders (doc/FORMAT.md §1). */
void put_fixed32(struct buf *b, uint32_t v);
void put_fixed64(struct buf *b, uint64_t v);
void put_varint64(struct buf *b, uint64_t v);
static inline void put_varint32(struct buf *b, uint32_t v) { put_varint64(b, v); }

/* Decimal digits of v into out (no NUL needed by callers; one is written); returns the length.
 * Much cheaper than printf in per-tensor output loops. */
size_t fmt_u64(char *out, uint64_t v);
size_t fmt_i64(char *out, int64_t v);

struct ck_err;
/* Create folder dir and any missing parents, as `mkdir -p` does (mode 0777 less the umask);
 * "DIR: cannot create folder: why" on failure. Every writer creates its output's folder. */
int make_dirs(const char *dir, struct ck_err *err);

/* Full-length I/O that retries short transfers and EINTR; -1 with errno on failure,
 * pread_full returns the bytes read (short only at end of file). */
long long pread_full(int fd, void *p, size_t n, uint64_t off);
int write_full(int fd, const void *p, size_t n);
int pwrite_full(int fd, const void *p, size_t n, uint64_t off);

#endif

/* Printable form of arbitrary name or string bytes: valid UTF-8 is kept, control characters,
 * DEL and invalid bytes become \xNN, and a backslash becomes \\. Appends to b. */
void buf_add_escaped(struct buf *b, const void *p, size_t n);
/* A name as messages show it: escaped as above, and a name of more than NAME_MSG_MAX bytes
 * with its middle left out ("…"), keeping both ends, so that a 70 KB name makes no 70 KB
 * line (listings and JSON still show names whole). */
#define NAME_MSG_MAX 160
void buf_add_name_msg(struct buf *b, const void *p, size_t n);
/* 1 if buf_add_escaped would copy the bytes unchanged. */
int is_plain_utf8(const void *p, size_t n);
/* Length of the valid UTF-8 sequence at p (1-4), or 0 if the bytes are not valid UTF-8. */
int utf8_seq_len(const uint8_t *p, size_t n);
/* Levenshtein distance of two byte strings (not NUL-terminated), for "did you mean" and the
 * name rules of match.h: the one home of name distance. */
size_t name_distance(const void *a, size_t an, const void *b, size_t bn);
