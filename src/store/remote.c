/* The remote backend: objects read by HTTP range requests through a small block cache (see
 * remote.h). */
#include "store/remote.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/http.h"
#include "store/listing.h"
#include "store/sigv4.h"
#include "store/url.h"

#define TAIL_READ (64u << 10)  /* an index's first request: its footer and, often, all of it */
#define SLOT_MAX (4u << 20)    /* the largest range cached; larger reads go straight through */
#define SEQ_MIN (64u << 10)    /* the first read-ahead of sequential misses */
#define SEQ_ADVISED (1u << 20) /* the same inside a window given to advise() */
#define SLOTS 8
#define SEQ_STREAMS 4
#define SPARES 2
#define LIST_MAX (16u << 20)   /* one page of a bucket listing (1000 keys) is far smaller */
#define KNOWN_MAX 64
#define STATUS_FOLDER 1        /* not HTTP's: a redirect to the URL with a '/' added */

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && !memcmp(s + n - t, tail, t);
}

/* ---- requests: the URL, the credentials, the counters ---------------------------------- */

struct req {
	int listing;          /* the bucket's listing with query, not the object */
	const char *query;
	int head, ranged, suffix;
	uint64_t off, len;
	void *dst;
	struct buf *body;
	size_t cap;
};

/* The headers that authenticate a request: SigV4 for s3 with keys, a bearer token for gs with
 * GOOGLE_OAUTH_ACCESS_TOKEN, none otherwise (a public bucket or an https server). */
static int auth_headers(const struct ck_url *u, const struct http_request *rq, const char *path,
			const char *query, char **hdr)
{
	struct sigv4_keys k;
	const char *tok;
	int n = 0;

	if (u->scheme == CK_URL_S3 && sigv4_keys_from_env(&k)) {
		struct buf auth = BUF_INIT;
		char date[17], range[48];
		struct sigv4_request s = { rq->head ? "HEAD" : "GET", u->host, path, query, NULL,
					   SIGV4_EMPTY_HASH, date, u->region, "s3" };
		sigv4_date((long long)time(NULL), date);
		if (rq->ranged) {
			http_range_value(rq, range);
			s.range = range;
		}
		sigv4_sign(&s, &k, &auth, NULL, NULL);
		hdr[n++] = xasprintf("Host: %s", u->host);
		hdr[n++] = xasprintf("x-amz-date: %s", date);
		hdr[n++] = xasprintf("x-amz-content-sha256: %s", SIGV4_EMPTY_HASH);
		if (k.session_token)
			hdr[n++] = xasprintf("x-amz-security-token: %s", k.session_token);
		hdr[n++] = xasprintf("Authorization: %s", (char *)auth.p);
		buf_release(&auth);
	} else if (u->scheme == CK_URL_GS && (tok = getenv("GOOGLE_OAUTH_ACCESS_TOKEN")) && *tok) {
		hdr[n++] = xasprintf("Authorization: Bearer %s", tok);
	}
	return n;
}

/* Servers that stopped answering (a timeout): later requests to them fail at once with the
 * same error, rather than each waiting out its own timeout while a path is resolved. */
#define DEAD_MAX 8
static struct {
	char *base;
	struct ck_err err;
} dead[DEAD_MAX];
static unsigned ndead;
static pthread_mutex_t dead_mu = PTHREAD_MUTEX_INITIALIZER;

static int dead_origin(const char *base, struct ck_err *err)
{
	int rc = 0;
	unsigned i;

	pthread_mutex_lock(&dead_mu);
	for (i = 0; i < ndead && i < DEAD_MAX && !rc; i++)
		if (!strcmp(dead[i].base, base)) {
			if (err)
				*err = dead[i].err;
			rc = dead[i].err.code;
		}
	pthread_mutex_unlock(&dead_mu);
	return rc;
}

static void mark_dead(const char *base, const struct ck_err *err)
{
	pthread_mutex_lock(&dead_mu);
	if (ndead < DEAD_MAX) {
		dead[ndead].base = xstrdup(base);
		dead[ndead].err = *err;
		ndead++;
	}
	pthread_mutex_unlock(&dead_mu);
}

static int request(const struct ck_url *u, const struct req *r, struct http_response *rs,
		   struct ck_err *err)
{
	struct buf url = BUF_INIT, path = BUF_INIT;
	const char *query = r->listing ? r->query : u->query;
	char *hdr[8] = { NULL };
	struct http_request rq = { .display = u->display, .head = r->head, .ranged = r->ranged,
				   .suffix = r->suffix, .off = r->off, .len = r->len,
				   .dst = r->dst, .body = r->body, .cap = r->cap };
	struct ck_err why;
	int rc, i, n;

	memset(rs, 0, sizeof(*rs));
	if ((rc = dead_origin(u->base, err)) < 0)
		return rc;
	if (r->listing)
		ck_url_bucket_path(u, &path);
	else
		ck_url_path(u, &path);
	buf_add(&url, u->base, strlen(u->base));
	buf_add(&url, path.p, path.len);
	if (query)
		buf_addf(&url, "?%s", query);
	rq.url = (const char *)url.p;
	n = auth_headers(u, &rq, (const char *)path.p, query, hdr);
	rq.headers = (const char *const *)hdr;
	rc = http_fetch(&rq, rs, &why);
	if (rc == CK_EIO && strstr(why.msg, ": timed out"))
		mark_dead(u->base, &why);
	if (rc < 0 && err)
		*err = why;
	for (i = 0; i < n; i++) {
		memset(hdr[i], 0, strlen(hdr[i])); /* the signature or token does not linger */
		free(hdr[i]);
	}
	buf_release(&url);
	buf_release(&path);
	return rc;
}

/* ---- listing ------------------------------------------------------------------------- */

/* One page of the listing of prefix (encoded into the query; token continues a listing). */
static int list_page(const struct ck_url *u, const char *prefix, const char *token,
		     int max_keys, struct listing_page *pg, struct ck_err *err)
{
	struct buf q = BUF_INIT, body = BUF_INIT;
	struct http_response rs;
	struct req r = { .listing = 1, .body = &body, .cap = LIST_MAX };
	int rc;

	if (token) {
		buf_addf(&q, "continuation-token=");
		ck_url_encode(&q, token, strlen(token), 0);
		buf_addc(&q, '&');
	}
	buf_addf(&q, "delimiter=%%2F&list-type=2");
	if (max_keys)
		buf_addf(&q, "&max-keys=%d", max_keys);
	buf_addf(&q, "&prefix=");
	ck_url_encode(&q, prefix, strlen(prefix), 0);
	buf_addc(&q, 0);
	r.query = (const char *)q.p;
	rc = request(u, &r, &rs, err);
	if (rc == 0 && rs.status == 404)
		rc = ck_error(err, CK_ENOTFOUND, "%s: 404: no such bucket, or the server cannot list "
			      "it; name the checkpoint's prefix", u->display);
	else if (rc == 0 && rs.status != 200)
		rc = http_status_error(u->display, rs.status, "(listing the folder)", err);
	if (rc == 0 && (rc = listing_parse((const char *)body.p, body.len, pg, err)) < 0)
		ck_wrap(err, "%s", u->display);
	buf_release(&q);
	buf_release(&body);
	return rc;
}

/* "objects under s3://b/run/: a, b, c" (or "no objects under ...") for a 404's hint, when
 * the store lists; empty when it cannot. */
static void list_hint(const struct ck_url *u, struct buf *out)
{
	const char *slash = strrchr(u->key, '/');
	size_t plen = slash ? (size_t)(slash - u->key) + 1 : 0;
	size_t shown = strlen(u->display) - strlen(u->key) + plen;
	struct listing_page pg = { 0 };
	char *prefix = xasprintf("%.*s", (int)plen, u->key);
	struct ck_err quiet;
	size_t i;

	/* no max-keys: s3rver fails any listing it would cut short */
	if (u->bucket && list_page(u, prefix, NULL, 0, &pg, &quiet) == 0) {
		buf_addf(out, "%sobjects under %.*s%s", pg.n ? "" : "no ", (int)shown, u->display,
			 pg.n ? ": " : "");
		for (i = 0; i < pg.n && i < 5; i++)
			buf_addf(out, "%s%s", i ? ", " : "", pg.v[i].name + plen);
		if (pg.n > 5 || pg.truncated)
			buf_addf(out, ", ...");
	}
	listing_page_release(&pg);
	free(prefix);
}

static int status_error(const struct ck_url *u, long status, struct ck_err *err)
{
	struct buf more = BUF_INIT;
	int rc;

	if (status == 404 && err) /* a caller that only probes pays no listing */
		list_hint(u, &more);
	rc = http_status_error(u->display, status, more.len ? (const char *)more.p : NULL, err);
	buf_release(&more);
	return rc;
}

/* ---- what the process has learned of objects: stat results, an index's tail ------------- */

struct known {
	char *url;
	struct ck_stat st;
	uint8_t *tail;   /* bytes read by stat (an index's last ones, a small file's first ones),
			  * for open to take over */
	uint64_t tail_off;
	size_t tail_len;
};

static struct known known[KNOWN_MAX];
static unsigned known_next;
static pthread_mutex_t known_mu = PTHREAD_MUTEX_INITIALIZER;

/* Keep what url is, and a copy of the bytes read with it (tail may be NULL). */
static void remember(const char *url, const struct ck_stat *st, const uint8_t *tail,
		     uint64_t tail_off, size_t tail_len)
{
	struct known *k;

	pthread_mutex_lock(&known_mu);
	k = &known[known_next++ % KNOWN_MAX];
	free(k->url);
	free(k->tail);
	k->url = xstrdup(url);
	k->st = *st;
	k->tail = tail && tail_len ? xmemdup(tail, tail_len) : NULL;
	k->tail_off = tail_off;
	k->tail_len = k->tail ? tail_len : 0;
	pthread_mutex_unlock(&known_mu);
}

/* 1 and *st, and a copy of the bytes kept with it (*tail, NULL when none), if url is known. */
static int recall(const char *url, struct ck_stat *st, uint8_t **tail, uint64_t *tail_off,
		  size_t *tail_len)
{
	int found = 0;
	unsigned i;

	pthread_mutex_lock(&known_mu);
	for (i = 0; i < KNOWN_MAX && !found; i++) {
		struct known *k = &known[(known_next - 1 - i) % KNOWN_MAX];
		if (!k->url || strcmp(k->url, url))
			continue;
		found = 1;
		*st = k->st;
		*tail = k->tail ? xmemdup(k->tail, k->tail_len) : NULL;
		*tail_off = k->tail_off;
		*tail_len = k->tail_len;
	}
	pthread_mutex_unlock(&known_mu);
	return found;
}

/* An object's size and some of its bytes in one request: an index's last TAIL_READ bytes
 * (its footer; all of a small one), or the first TAIL_READ bytes of a small file (a state
 * file, a .meta: usually all of it). */
static int read_part(const struct ck_url *u, int suffix, struct ck_stat *st, uint8_t **part,
		     uint64_t *off, size_t *len, long *status, struct ck_err *err)
{
	struct http_response rs;
	uint8_t *p = xmalloc(TAIL_READ);
	struct req r = { .ranged = 1, .suffix = suffix, .len = TAIL_READ, .dst = p,
			 .cap = TAIL_READ };
	int rc = request(u, &r, &rs, err);

	*status = rc == 0 && rs.to_folder ? STATUS_FOLDER : rs.status;
	*part = NULL;
	if (rc == 0 && !rs.to_folder && (rs.status == 200 || rs.status == 206)) {
		st->kind = CK_STORE_FILE;
		st->size = rs.total != UINT64_MAX ? rs.total : rs.first + rs.got;
		st->mtime = rs.mtime;
		*part = p;
		*off = rs.first;
		*len = rs.got;
		return 0;
	}
	free(p);
	if (rc == 0 && rs.status == 416) { /* an empty object has no bytes to send */
		st->kind = CK_STORE_FILE;
		st->size = 0;
		st->mtime = -1;
	}
	return rc;
}

static int head(const struct ck_url *u, struct ck_stat *st, long *status, struct ck_err *err)
{
	struct http_response rs;
	struct req r = { .head = 1 };
	int rc = request(u, &r, &rs, err);

	*status = rc == 0 && rs.to_folder ? STATUS_FOLDER : rs.status;
	if (rc == 0 && !rs.to_folder && rs.status >= 200 && rs.status < 300) {
		if (rs.total == UINT64_MAX)
			return ck_error(err, CK_EIO, "%s: the server does not say the object's size",
					u->display);
		st->kind = CK_STORE_FILE;
		st->size = rs.total;
		st->mtime = rs.mtime;
	}
	return rc;
}

/* An s3/gs key that is no object but has objects under KEY/: a folder named without its
 * slash, as a local one may be. One listing request, asked only after a 404. */
static int is_prefix_folder(const struct ck_url *u)
{
	struct listing_page pg = { 0 };
	struct ck_err quiet;
	char *prefix;
	int yes;

	if (!u->bucket || !*u->key)
		return 0;
	prefix = xasprintf("%s/", u->key);
	yes = list_page(u, prefix, NULL, 0, &pg, &quiet) == 0 && pg.n > 0;
	listing_page_release(&pg);
	free(prefix);
	return yes;
}

/* What url is, asking the server unless it is known; an index's tail comes along. folders:
 * also ask, after a 404, whether it is a folder named without its slash (stat does; open,
 * which wants a file, does not pay the request). */
static int probe(const struct ck_url *u, const char *url, int folders, struct ck_stat *st,
		 uint8_t **tail, uint64_t *tail_off, size_t *tail_len, struct ck_err *err)
{
	long status = 0;
	int rc;

	*tail = NULL;
	*tail_len = 0;
	if (recall(url, st, tail, tail_off, tail_len))
		return 0;
	memset(st, 0, sizeof(*st));
	st->kind = CK_STORE_MISSING;
	st->mtime = -1;
	/* a data shard by HEAD, as `show T` is to read T's bytes and no others */
	if (strstr(u->key, ".data-"))
		rc = head(u, st, &status, err);
	else
		rc = read_part(u, ends_with(u->key, ".index"), st, tail, tail_off, tail_len, &status,
			       err);
	if (rc < 0)
		return rc;
	if (status == STATUS_FOLDER)
		st->kind = CK_STORE_FOLDER;
	else if ((status == 404 || status == 410) && folders && is_prefix_folder(u))
		st->kind = CK_STORE_FOLDER;
	else if (status == 404 || status == 410)
		st->kind = CK_STORE_MISSING;
	else if (st->kind != CK_STORE_FILE)
		return status_error(u, status, err);
	remember(url, st, *tail, *tail_off, *tail_len);
	return 0;
}

static int is_folder_url(const struct ck_url *u)
{
	return ends_with(u->display, "/") || (u->bucket && !*u->key);
}

int remote_stat(const char *url, struct ck_stat *st, struct ck_err *err)
{
	struct ck_url u;
	uint8_t *tail;
	uint64_t off;
	size_t len;
	int rc;

	memset(st, 0, sizeof(*st));
	st->mtime = -1;
	if ((rc = ck_url_parse(url, &u, err)) < 0)
		return rc;
	if (is_folder_url(&u)) {
		st->kind = CK_STORE_FOLDER;
	} else if ((rc = probe(&u, url, 1, st, &tail, &off, &len, err)) == 0) {
		free(tail); /* remembered for the open that follows */
	}
	ck_url_release(&u);
	return rc;
}

/* ---- the open file: a size and a few cached ranges ------------------------------------ */

struct slot {
	uint64_t off;
	size_t len, cap;
	uint8_t *p;
	unsigned long long used;
};

struct remote_file {
	struct ck_file f;
	struct ck_url u;
	int index;                   /* a .index: misses read on to the cached tail */
	pthread_mutex_t mu;
	struct slot slot[SLOTS];
	unsigned long long clock;
	uint64_t adv_off, adv_end;   /* advise()'s window */
	/* the last misses of a few streams (threads reading parts of one file each go on from
	 * where they were), to grow sequential reads */
	struct { uint64_t end, len; } seq[SEQ_STREAMS];
	unsigned seq_next;
	/* the window the prefetcher is fetching (len 0: none), and the jobs queued or running */
	uint64_t pf_off, pf_len;
	int pending;
	pthread_cond_t cv;           /* a prefetch landed */
	uint8_t *spare[SPARES];      /* full-size blocks of evicted slots, for reuse */
	int nspare;
};

static struct slot *find_slot(struct remote_file *rf, uint64_t pos)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		if (rf->slot[i].len && pos >= rf->slot[i].off &&
		    pos - rf->slot[i].off < rf->slot[i].len)
			return &rf->slot[i];
	return NULL;
}

/* A block of n bytes to fetch into: a full-size one comes from the spares of evicted slots
 * when there is one (a streamed file would otherwise map and fault in fresh 4 MiB blocks
 * again and again: most of its system time). */
static uint8_t *blk_alloc(struct remote_file *rf, uint64_t n)
{
	uint8_t *p = NULL;

	if (n == SLOT_MAX) {
		pthread_mutex_lock(&rf->mu);
		if (rf->nspare)
			p = rf->spare[--rf->nspare];
		pthread_mutex_unlock(&rf->mu);
	}
	return p ? p : xmalloc((size_t)n);
}

/* Keep a block of cap bytes allocated, len of them from off, in place of the least recently
 * used slot (under rf->mu). */
static void add_slot(struct remote_file *rf, uint8_t *p, size_t cap, uint64_t off, size_t len)
{
	struct slot *s = &rf->slot[0];
	int i;

	for (i = 1; i < SLOTS; i++)
		if (rf->slot[i].used < s->used)
			s = &rf->slot[i];
	if (s->p && s->cap == SLOT_MAX && rf->nspare < SPARES)
		rf->spare[rf->nspare++] = s->p;
	else
		free(s->p);
	s->p = p;
	s->cap = cap;
	s->off = off;
	s->len = len;
	s->used = ++rf->clock;
}

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Where and how much to read for a read of need bytes at pos that missed (under rf->mu): from
 * *start (pos, or before it for an index's footer) on, the count returned. */
static uint64_t plan_read(struct remote_file *rf, uint64_t pos, uint64_t need, uint64_t *start)
{
	uint64_t next = rf->f.size, want;
	int i;

	*start = pos;
	for (i = 0; i < SLOTS; i++)
		if (rf->slot[i].len && rf->slot[i].off > pos && rf->slot[i].off < next)
			next = rf->slot[i].off;
	if (rf->index && next == rf->f.size && rf->f.size - pos <= TAIL_READ) {
		/* an index's footer, its tail not read yet: the whole tail, as open would */
		*start = rf->f.size > TAIL_READ ? rf->f.size - TAIL_READ : 0;
		return rf->f.size - *start;
	}
	for (i = 0; i < SEQ_STREAMS && !(rf->seq[i].len && rf->seq[i].end == pos); i++)
		;
	if (i == SEQ_STREAMS)
		i = (int)(rf->seq_next++ % SEQ_STREAMS); /* a new stream, maybe */
	if (rf->index) {
		want = next - pos;
	} else if (rf->seq[i].len && rf->seq[i].end == pos) {
		/* sequential: read ahead in growing steps, faster inside an advised window, which
		 * says the reads will go on (a lone read, `show T`, still reads only its bytes) */
		uint64_t last = rf->seq[i].len;
		want = pos >= rf->adv_off && pos < rf->adv_end
			? min64(rf->adv_end - pos, last * 4 > SEQ_ADVISED ? last * 4 : SEQ_ADVISED)
			: last * 2 > SEQ_MIN ? last * 2 : SEQ_MIN;
	} else {
		want = need;
	}
	want = min64(min64(want, next - pos), SLOT_MAX);
	if (want < need)
		want = need;
	want = min64(want, rf->f.size - pos);
	rf->seq[i].end = pos + want;
	rf->seq[i].len = want;
	return want;
}

/* Read [pos, pos + n) of the object into p: the count (short only at its end). */
static long long fetch(struct remote_file *rf, void *p, uint64_t pos, size_t n, struct ck_err *err)
{
	struct http_response rs;
	struct req r = { .ranged = 1, .off = pos, .len = n, .dst = p, .cap = n };
	int rc = request(&rf->u, &r, &rs, err);

	if (rc < 0)
		return rc;
	if (rs.status != 200 && rs.status != 206)
		return status_error(&rf->u, rs.status, err);
	if (rs.first != pos)
		return ck_error(err, CK_EIO, "%s: the server answered another range than the one asked",
				rf->f.name);
	if (rs.got < n && pos + rs.got < rf->f.size)
		return ck_error(err, CK_EIO, "%s: %zu bytes at offset %llu, the server sent %zu",
				rf->f.name, n, (unsigned long long)pos, rs.got);
	return (long long)rs.got;
}

/* ---- the prefetcher: one thread for the process fetching the next window of a sequential
 * stream while its reader works on the one it has, so that a streamed file has a request in
 * flight all the time instead of waiting for each in turn. Its connection stays alive like
 * any thread's. A failed prefetch is dropped: the reader then asks itself and meets the
 * error. */

#define PF_QUEUE 16
static struct { struct remote_file *rf; uint64_t off, len; } pf_queue[PF_QUEUE];
static unsigned pf_head, pf_count;
static pthread_mutex_t pf_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pf_cv = PTHREAD_COND_INITIALIZER;
static int pf_started;

static void *prefetcher(void *unused)
{
	for (;;) {
		struct remote_file *rf;
		uint64_t off, len;
		struct ck_err quiet;
		uint8_t *blk;
		long long got;

		pthread_mutex_lock(&pf_mu);
		while (!pf_count)
			pthread_cond_wait(&pf_cv, &pf_mu);
		rf = pf_queue[pf_head].rf;
		off = pf_queue[pf_head].off;
		len = pf_queue[pf_head].len;
		pf_head = (pf_head + 1) % PF_QUEUE;
		pf_count--;
		pthread_mutex_unlock(&pf_mu);

		blk = blk_alloc(rf, len);
		got = fetch(rf, blk, off, (size_t)len, &quiet);
		pthread_mutex_lock(&rf->mu);
		if (got > 0)
			add_slot(rf, blk, (size_t)len, off, (size_t)got);
		else
			free(blk);
		rf->pf_len = 0;
		rf->pending--;
		pthread_cond_broadcast(&rf->cv);
		pthread_mutex_unlock(&rf->mu);
	}
	return NULL;
}

/* Queue [off, off + len) of rf (under rf->mu); nothing when the queue is full or the thread
 * cannot start. */
static void prefetch(struct remote_file *rf, uint64_t off, uint64_t len)
{
	pthread_t t;

	pthread_mutex_lock(&pf_mu);
	if (!pf_started) {
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		pf_started = pthread_create(&t, &a, prefetcher, NULL) == 0 ? 1 : -1;
		pthread_attr_destroy(&a);
	}
	if (pf_started > 0 && pf_count < PF_QUEUE) {
		unsigned i = (pf_head + pf_count++) % PF_QUEUE;
		pf_queue[i].rf = rf;
		pf_queue[i].off = off;
		pf_queue[i].len = len;
		rf->pf_off = off;
		rf->pf_len = len;
		rf->pending++;
		pthread_cond_signal(&pf_cv);
	}
	pthread_mutex_unlock(&pf_mu);
}

/* After a read that reached end (under rf->mu): when that is the frontier of a stream that
 * has grown to full windows inside an advised window, fetch its next window ahead. A lone read
 * (`show T`) never grows a stream, so it fetches nothing more. */
static void read_ahead(struct remote_file *rf, uint64_t end)
{
	int i;

	if (rf->index || rf->pf_len || end >= rf->adv_end || end < rf->adv_off || find_slot(rf, end))
		return;
	for (i = 0; i < SEQ_STREAMS; i++)
		if (rf->seq[i].end == end && rf->seq[i].len >= SLOT_MAX / 2) {
			uint64_t len = min64(SLOT_MAX, rf->adv_end - end);
			rf->seq[i].end = end + len;
			rf->seq[i].len = len;
			prefetch(rf, end, len);
			return;
		}
}

static long long rf_pread(struct ck_file *f, void *p, size_t n, uint64_t off, struct ck_err *err)
{
	struct remote_file *rf = (struct remote_file *)f;
	size_t done = 0;

	if (off >= f->size)
		return 0;
	if (n > f->size - off)
		n = (size_t)(f->size - off);
	while (done < n) {
		uint64_t pos = off + done, len, start;
		size_t need = n - done, take;
		struct slot *s;
		uint8_t *blk;
		long long got;

		pthread_mutex_lock(&rf->mu);
		while (rf->pf_len && pos >= rf->pf_off && pos - rf->pf_off < rf->pf_len)
			pthread_cond_wait(&rf->cv, &rf->mu); /* it is on its way */
		if ((s = find_slot(rf, pos))) {
			take = (size_t)min64(s->off + s->len - pos, need);
			memcpy((char *)p + done, s->p + (pos - s->off), take);
			s->used = ++rf->clock;
			if (pos + take == s->off + s->len)
				read_ahead(rf, pos + take);
			pthread_mutex_unlock(&rf->mu);
			done += take;
			continue;
		}
		len = plan_read(rf, pos, need, &start);
		pthread_mutex_unlock(&rf->mu);
		if (len > SLOT_MAX) { /* a large read goes straight into the caller's buffer */
			got = fetch(rf, (char *)p + done, pos, need, err);
			if (got < 0)
				return got;
			done += (size_t)got;
			if ((size_t)got < need)
				break;
			continue;
		}
		blk = blk_alloc(rf, len);
		got = fetch(rf, blk, start, (size_t)len, err);
		if (got <= (long long)(pos - start)) {
			free(blk);
			if (got < 0)
				return got;
			break;
		}
		take = (size_t)min64((uint64_t)got - (pos - start), need);
		memcpy((char *)p + done, blk + (pos - start), take);
		pthread_mutex_lock(&rf->mu);
		add_slot(rf, blk, (size_t)len, start, (size_t)got);
		read_ahead(rf, start + (uint64_t)got);
		pthread_mutex_unlock(&rf->mu);
		done += take;
	}
	return (long long)done;
}

static void rf_advise(struct ck_file *f, uint64_t off, uint64_t n)
{
	struct remote_file *rf = (struct remote_file *)f;

	pthread_mutex_lock(&rf->mu);
	rf->adv_off = off;
	/* n == 0: to the end (file.h) */
	rf->adv_end = !n || n > f->size - min64(off, f->size) ? f->size : off + n;
	pthread_mutex_unlock(&rf->mu);
}

static void rf_close(struct ck_file *f)
{
	struct remote_file *rf = (struct remote_file *)f;
	int i;

	pthread_mutex_lock(&rf->mu);
	while (rf->pending) /* the prefetcher still writes into rf */
		pthread_cond_wait(&rf->cv, &rf->mu);
	pthread_mutex_unlock(&rf->mu);
	for (i = 0; i < SLOTS; i++)
		free(rf->slot[i].p);
	for (i = 0; i < rf->nspare; i++)
		free(rf->spare[i]);
	pthread_cond_destroy(&rf->cv);
	pthread_mutex_destroy(&rf->mu);
	ck_url_release(&rf->u);
	free(f->name);
	free(rf);
}

static const struct ck_file_ops remote_ops = { rf_pread, rf_advise, rf_close };

int remote_open(const char *url, struct ck_file **out, struct ck_err *err)
{
	struct remote_file *rf = xcalloc(1, sizeof(*rf));
	struct ck_stat st;
	uint8_t *tail;
	uint64_t tail_off;
	size_t tail_len;
	int rc;

	*out = NULL;
	if ((rc = ck_url_parse(url, &rf->u, err)) < 0) {
		free(rf);
		return rc;
	}
	if (is_folder_url(&rf->u))
		rc = ck_error(err, CK_EKIND, "%s: is a folder, not a file", rf->u.display);
	else
		rc = probe(&rf->u, url, 0, &st, &tail, &tail_off, &tail_len, err);
	if (rc == 0 && st.kind == CK_STORE_MISSING)
		rc = status_error(&rf->u, 404, err);
	else if (rc == 0 && st.kind == CK_STORE_FOLDER)
		rc = ck_error(err, CK_EKIND, "%s: is a folder, not a file", rf->u.display);
	if (rc < 0) {
		ck_url_release(&rf->u);
		free(rf);
		return rc;
	}
	pthread_mutex_init(&rf->mu, NULL);
	pthread_cond_init(&rf->cv, NULL);
	rf->f.ops = &remote_ops;
	rf->f.name = xstrdup(rf->u.display);
	rf->f.size = st.size;
	rf->f.mtime = st.mtime;
	rf->f.fd = -1;
	rf->index = ends_with(rf->u.key, ".index");
	if (tail)
		add_slot(rf, tail, tail_len, tail_off, tail_len);
	*out = &rf->f;
	return 0;
}

/* ---- folders ---------------------------------------------------------------------------- */

int remote_list(const char *url, int (*fn)(void *arg, const char *name), void *arg,
		struct ck_err *err)
{
	struct ck_url u;
	struct listing_page pg = { 0 };
	char *prefix, *token = NULL, *folder;
	size_t plen, i;
	int rc;

	if ((rc = ck_url_parse(url, &u, err)) < 0)
		return rc;
	if (!u.bucket) {
		rc = ck_error(err, CK_EUNSUP, "%s: an http(s) folder cannot be listed; name the "
			      "checkpoint, or a folder with a `checkpoint` state file", u.display);
		ck_url_release(&u);
		return rc;
	}
	plen = strlen(u.key);
	prefix = xasprintf("%s%s", u.key, plen && u.key[plen - 1] != '/' ? "/" : "");
	folder = xasprintf("%s%s", url, ends_with(url, "/") ? "" : "/");
	plen = strlen(prefix);
	do {
		rc = list_page(&u, prefix, token, 0, &pg, err);
		free(token);
		token = NULL;
		for (i = 0; rc == 0 && i < pg.n; i++) {
			char *name = pg.v[i].name, *full;
			size_t n = strlen(name);
			struct ck_stat st = { .kind = pg.v[i].is_prefix ? CK_STORE_FOLDER : CK_STORE_FILE,
					      .size = pg.v[i].size, .mtime = pg.v[i].mtime };
			if (strncmp(name, prefix, plen) || n == plen)
				continue; /* the folder's own marker object, or not under it */
			if (pg.v[i].is_prefix)
				name[--n] = 0;
			full = xasprintf("%s%s", folder, name + plen);
			if (!pg.v[i].is_prefix)
				remember(full, &st, NULL, 0, 0);
			free(full);
			rc = fn(arg, name + plen);
		}
		if (rc == 0 && pg.truncated)
			token = xstrdup(pg.next);
		listing_page_release(&pg);
	} while (rc == 0 && token);
	free(token);
	free(prefix);
	free(folder);
	ck_url_release(&u);
	return rc;
}

const struct ck_store_backend ck_remote_backend = { remote_open, remote_stat, remote_list };
