/* Allocation helpers, the byte buffer, and full-length I/O. */
#include "base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"

static void (*oom_handler)(size_t n);

void xalloc_on_failure(void (*handler)(size_t n))
{
	oom_handler = handler;
}

/* The library never prints or exits: the front end's handler says so and ends the process;
 * without one (tests, tools) a failed allocation aborts. */
static void oom(size_t n)
{
	if (oom_handler)
		oom_handler(n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xmalloc_io(size_t n)
{
	void *p;

	if (n > SIZE_MAX - 4095)
		oom(n);
	p = aligned_alloc(4096, n ? (n + 4095) & ~(size_t)4095 : 4096);  /* size: a multiple */
	if (!p)
		oom(n);
	return p;
}

int cpu_has_avx2(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	static atomic_int avx2 = -1;  /* threads may race to set it: all store the same value */
	int v = atomic_load_explicit(&avx2, memory_order_relaxed);
	if (v < 0) {
		__builtin_cpu_init();
		v = __builtin_cpu_supports("avx2") != 0;
		atomic_store_explicit(&avx2, v, memory_order_relaxed);
	}
	return v;
#else
	return 0;
#endif
}

int cpu_has_avx512(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	static atomic_int avx512 = -1;  /* as avx2 above */
	int v = atomic_load_explicit(&avx512, memory_order_relaxed);
	if (v < 0) {
		__builtin_cpu_init();
		v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		    __builtin_cpu_supports("fma");
		atomic_store_explicit(&avx512, v, memory_order_relaxed);
	}
	return v;
#else
	return 0;
#endif
}

#define HUGE_PAGE ((size_t)2 << 20)

static size_t huge_len(size_t n)  /* the mapping's length, 0 for a malloc block */
{
#ifdef MADV_HUGEPAGE
	if (n >= XMALLOC_HUGE_MIN && n <= SIZE_MAX / 2)
		return (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
#endif
	return 0;
}

void *xmalloc_huge(size_t n)
{
	size_t len = huge_len(n);
	uint8_t *m, *a;

	if (!len)
		return xmalloc(n);
	/* One huge page more than needed, to cut an aligned run out of it. */
	m = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		oom(n);
	a = (uint8_t *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	munmap(a + len, HUGE_PAGE - (size_t)(a - m));
	madvise(a, len, MADV_HUGEPAGE);  /* where the kernel has none: small pages, as before */
	return a;
}

void xfree_huge(void *p, size_t n)
{
	size_t len = huge_len(n);

	if (len && p)
		munmap(p, len);
	else
		free(p);
}

void *xrealloc_huge(void *p, size_t old, size_t n)
{
	void *q;

	if (!huge_len(old) && !huge_len(n))
		return xrealloc(p, n);
#ifdef MREMAP_MAYMOVE
	/* A mapping grows by moving its pages, not its bytes (doubling an array of 100 000
	 * entries copied it six times). The new place may lose the huge-page alignment: the
	 * pages already made stay huge, new ones may be small. */
	if (p && huge_len(old) && huge_len(n)) {
		q = mremap(p, huge_len(old), huge_len(n), MREMAP_MAYMOVE);
		if (q != MAP_FAILED)
			return q;
	}
#endif
	q = xmalloc_huge(n);
	if (p)
		memcpy(q, p, old < n ? old : n);
	xfree_huge(p, old);
	return q;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		oom(SIZE_MAX);
	return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
	return xmemdup(s, strlen(s));
}

void *xmemdup(const void *p, size_t n)
{
	char *q = xmalloc(n + 1);
	if (n)
		memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

const char *path_base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

char *path_folder(const char *path)
{
	const char *s = strrchr(path, '/');
	if (!s)
		return xstrdup(".");
	if (s == path)
		return xstrdup("/");
	return xmemdup(path, (size_t)(s - path));
}

int has_suffix(const char *s, const char *suffix)
{
	return mem_has_suffix(s, strlen(s), suffix);
}

int mem_has_suffix(const void *p, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && !memcmp((const char *)p + n - k, suffix, k);
}

const char *name_msg(struct buf *tmp, const void *p, size_t n)
{
	buf_reset(tmp);
	buf_add_name_msg(tmp, p, n);
	return (const char *)tmp->p;
}

char *xasprintf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_grow(&b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf((char *)b.p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return (char *)b.p;
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - b->len - 1)
		oom(SIZE_MAX);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	b->cap = b->cap ? b->cap : 64;
	while (b->cap < need)
		b->cap = b->cap > SIZE_MAX / 2 ? need : b->cap * 2;
	b->p = xrealloc(b->p, b->cap);
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

void buf_addc(struct buf *b, uint8_t c)
{
	buf_grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = 0;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = 0;
}

void buf_release(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	buf_grow(b, 0);
	p = (char *)b->p;
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void put_fixed32(struct buf *b, uint32_t v)
{
	uint8_t t[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	buf_add(b, t, 4);
}

void put_fixed64(struct buf *b, uint64_t v)
{
	put_fixed32(b, (uint32_t)v);
	put_fixed32(b, (uint32_t)(v >> 32));
}

void put_varint64(struct buf *b, uint64_t v)
{
	uint8_t t[10];
	int n = 0;

	while (v >= 0x80) {
		t[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	t[n++] = (uint8_t)v;
	buf_add(b, t, (size_t)n);
}

long long pread_full(int fd, void *p, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (char *)p + done, n - done, (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (long long)done;
}

int write_full(int fd, const void *p, size_t n)
{
	const char *q = p;

	while (n) {
		ssize_t r = write(fd, q, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		q += r;
		n -= (size_t)r;
	}
	return 0;
}

int pwrite_full(int fd, const void *p, size_t n, uint64_t off)
{
	const char *q = p;

	while (n) {
		ssize_t r = pwrite(fd, q, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)  /* no progress: not to loop forever */
				errno = EIO;
			return -1;
		}
		q += r;
		off += (uint64_t)r;
		n -= (size_t)r;
	}
	return 0;
}

int utf8_seq_len(const uint8_t *p, size_t n)
{
	uint32_t cp;
	int len;

	if (!n)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if ((size_t)len > n)
		return 0;
	for (int i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int needs_escape(uint8_t c)
{
	return c < 0x20 || c == 0x7f || c == '\\';
}

int is_plain_utf8(const void *p, size_t n)
{
	const uint8_t *s = p;

	for (size_t i = 0; i < n;) {
		int k = utf8_seq_len(s + i, n - i);
		if (!k || (k == 1 && needs_escape(s[i])))
			return 0;
		i += (size_t)k;
	}
	return 1;
}

void buf_add_escaped(struct buf *b, const void *p, size_t n)
{
	const uint8_t *s = p;

	for (size_t i = 0; i < n;) {
		/* Runs of printable ASCII, the common case, are copied whole. */
		size_t run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '\\')
			run++;
		if (run > i) {
			buf_add(b, s + i, run - i);
			i = run;
			continue;
		}
		int k = utf8_seq_len(s + i, n - i);
		if (k == 1 && s[i] == '\\') {
			buf_add(b, "\\\\", 2);
		} else if (!k || (k == 1 && needs_escape(s[i]))) {
			buf_addf(b, "\\x%02x", s[i]);
			k = 1;
		} else {
			buf_add(b, s + i, (size_t)k);
		}
		i += (size_t)k;
	}
}

void buf_add_name_msg(struct buf *b, const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t head = NAME_MSG_MAX * 5 / 8, tail;

	if (n <= NAME_MSG_MAX) {
		buf_add_escaped(b, p, n);
		buf_grow(b, 0);
		b->p[b->len] = 0;  /* an empty name still gives a string */
		return;
	}
	/* Cut between UTF-8 sequences: scopes lead, so the start keeps more. */
	while (head && (s[head] & 0xc0) == 0x80)
		head--;
	tail = n - (NAME_MSG_MAX - NAME_MSG_MAX * 5 / 8 - 1);
	while (tail < n && (s[tail] & 0xc0) == 0x80)
		tail++;
	buf_add_escaped(b, s, head);
	buf_add(b, "\xe2\x80\xa6", 3);  /* … */
	buf_add_escaped(b, s + tail, n - tail);
}

size_t fmt_u64(char *out, uint64_t v)
{
	size_t n = 1;

	/* The length first, then the digits from the end: listings print several a row. */
	for (uint64_t x = v; x >= 10; x /= 10)
		n++;
	out[n] = '\0';
	for (size_t i = n; i-- > 0; v /= 10)
		out[i] = (char)('0' + v % 10);
	return n;
}

size_t fmt_i64(char *out, int64_t v)
{
	if (v < 0) {
		out[0] = '-';
		return 1 + fmt_u64(out + 1, (uint64_t)0 - (uint64_t)v);
	}
	return fmt_u64(out, (uint64_t)v);
}

int make_dirs(const char *dir, struct ck_err *err)
{
	char *p = xstrdup(dir);
	int rc = 0;

	for (char *s = p + 1; ; s++) {
		if (*s == '/' || !*s) {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0777) < 0 && errno != EEXIST) {
				rc = ck_syserr(err, errno, "%s: cannot create folder", p);
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return rc;
}

size_t name_distance(const void *a, size_t an, const void *b, size_t bn)
{
	const uint8_t *x = a, *y = b;
	size_t stack[256], *row = bn < 256 ? stack : xcalloc(bn + 1, sizeof(size_t)), r;

	for (size_t j = 0; j <= bn; j++)
		row[j] = j;
	for (size_t i = 1; i <= an; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= bn; j++) {
			size_t up = row[j], v = diag + (x[i - 1] != y[j - 1]);
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			diag = up;
			row[j] = v;
		}
	}
	r = row[bn];
	if (row != stack)
		free(row);
	return r;
}
