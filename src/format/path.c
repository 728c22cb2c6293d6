/* Checkpoint path resolution and the `checkpoint` state file parser. */
#include "format/path.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cursor.h"
#include "store/file.h"
#include "format/table.h"
#include "format/v1.h"

#define STATE_MAX (16u << 20)  /* a state file is a few lines; refuse anything huge */

/* ---- state file ------------------------------------------------------------------- */

void ckpt_state_release(struct ckpt_state *st)
{
	free(st->model_checkpoint_path);
	for (size_t i = 0; i < st->nall; i++)
		free(st->all_model_checkpoint_paths[i]);
	free(st->all_model_checkpoint_paths);
	memset(st, 0, sizeof(*st));
}

struct lexer {
	const char *p, *end;
	int line;
};

static void skip_space(struct lexer *lx)
{
	while (lx->p < lx->end) {
		if (*lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (isspace((unsigned char)*lx->p)) {
			if (*lx->p == '\n')
				lx->line++;
			lx->p++;
		} else {
			break;
		}
	}
}

/* One quoted string with C escapes, appended to out. */
static int lex_quoted(struct lexer *lx, struct buf *out)
{
	char q = *lx->p++;

	while (lx->p < lx->end && *lx->p != q) {
		char c = *lx->p++;
		if (c == '\n')
			return -1;
		if (c != '\\') {
			buf_addc(out, (uint8_t)c);
			continue;
		}
		if (lx->p >= lx->end)
			return -1;
		c = *lx->p++;
		switch (c) {
		case 'n': buf_addc(out, '\n'); break;
		case 't': buf_addc(out, '\t'); break;
		case 'r': buf_addc(out, '\r'); break;
		case 'a': buf_addc(out, '\a'); break;
		case 'b': buf_addc(out, '\b'); break;
		case 'f': buf_addc(out, '\f'); break;
		case 'v': buf_addc(out, '\v'); break;
		case 'x': {
			int v = 0, k = 0;
			while (k < 2 && lx->p < lx->end && isxdigit((unsigned char)*lx->p)) {
				char h = *lx->p++;
				v = v * 16 + (isdigit((unsigned char)h) ? h - '0' : (tolower(h) - 'a' + 10));
				k++;
			}
			if (!k)
				return -1;
			buf_addc(out, (uint8_t)v);
			break;
		}
		default:
			if (c >= '0' && c <= '7') {
				int v = c - '0', k = 1;
				while (k < 3 && lx->p < lx->end && *lx->p >= '0' && *lx->p <= '7')
					v = v * 8 + (*lx->p++ - '0'), k++;
				buf_addc(out, (uint8_t)v);
			} else {
				buf_addc(out, (uint8_t)c);  /* \\ \" \' \? */
			}
		}
	}
	if (lx->p >= lx->end)
		return -1;
	lx->p++;
	return 0;
}

int ckpt_state_parse(const char *text, size_t n, struct ckpt_state *st, struct ck_err *err)
{
	struct lexer lx = { text, text + n, 1 };
	struct buf name = BUF_INIT, val = BUF_INIT;
	int rc = 0, fields = 0;

	memset(st, 0, sizeof(*st));
	if (memchr(text, '\0', n))
		return ck_error(err, CK_EKIND, "binary data, not a checkpoint state file");
	for (;;) {
		skip_space(&lx);
		if (lx.p >= lx.end)
			break;
		buf_reset(&name);
		while (lx.p < lx.end && (isalnum((unsigned char)*lx.p) || *lx.p == '_'))
			buf_addc(&name, (uint8_t)*lx.p++);
		skip_space(&lx);
		if (!name.len || lx.p >= lx.end || *lx.p != ':') {
			rc = ck_error(err, fields ? CK_ECORRUPT : CK_EKIND,
				      fields ? "syntax error on line %d" : "not a checkpoint state file (line %d)",
				      lx.line);
			goto out;
		}
		lx.p++;
		skip_space(&lx);
		buf_reset(&val);
		if (lx.p < lx.end && (*lx.p == '"' || *lx.p == '\'')) {
			/* Adjacent quoted strings concatenate, as in protobuf text format. */
			while (lx.p < lx.end && (*lx.p == '"' || *lx.p == '\'')) {
				if (lex_quoted(&lx, &val) < 0) {
					rc = ck_error(err, CK_ECORRUPT, "unterminated string on line %d", lx.line);
					goto out;
				}
				skip_space(&lx);
			}
		} else {
			while (lx.p < lx.end && !isspace((unsigned char)*lx.p))
				lx.p++;  /* a number (timestamps): not needed */
		}
		fields++;
		if (!strcmp((char *)name.p, "model_checkpoint_path")) {
			free(st->model_checkpoint_path);
			st->model_checkpoint_path = xmemdup(val.p, val.len);
		} else if (!strcmp((char *)name.p, "all_model_checkpoint_paths")) {
			st->all_model_checkpoint_paths = xreallocarray(st->all_model_checkpoint_paths,
								       st->nall + 1, sizeof(char *));
			st->all_model_checkpoint_paths[st->nall++] = xmemdup(val.p, val.len);
		} else if (strcmp((char *)name.p, "all_model_checkpoint_timestamps") &&
			   strcmp((char *)name.p, "last_preserved_timestamp") && fields == 1) {
			rc = ck_error(err, CK_EKIND, "not a checkpoint state file (field \"%.40s\")",
				      (char *)name.p);
			goto out;
		}
	}
	if (!st->model_checkpoint_path || !*st->model_checkpoint_path)
		rc = ck_error(err, fields ? CK_ECORRUPT : CK_EKIND,
			      fields ? "no model_checkpoint_path in checkpoint state file"
				     : "empty file, not a checkpoint state file");
out:
	buf_release(&name);
	buf_release(&val);
	if (rc < 0)
		ckpt_state_release(st);
	return rc;
}

/* A state file is opened as an input (a FIFO named checkpoint is refused, not waited on). */
static int read_small_file(const char *path, struct buf *out, size_t max, struct ck_err *err)
{
	struct ck_file *f;
	int rc = ck_file_open(path, &f, err);

	if (rc < 0)
		return rc;
	if (f->size > max) {
		rc = ck_error(err, CK_EKIND, "%s: too large for a checkpoint state file", path);
	} else {
		buf_grow(out, (size_t)f->size + 1);
		rc = ck_file_read_exact(f, out->p + out->len, (size_t)f->size, 0, err);
		if (rc == 0)
			out->len += (size_t)f->size;
		out->p[out->len] = 0;  /* callers read it as a C string */
	}
	ck_file_close(f);
	return rc;
}

int ckpt_state_read(const char *path, struct ckpt_state *st, struct ck_err *err)
{
	struct buf text = BUF_INIT;
	int rc = read_small_file(path, &text, STATE_MAX, err);

	if (rc == 0) {
		rc = ckpt_state_parse((const char *)text.p ? (const char *)text.p : "", text.len, st, err);
		if (rc < 0)
			ck_wrap(err, "%s", path);
	}
	buf_release(&text);
	return rc;
}

/* ---- resolution --------------------------------------------------------------------- */

void ckpt_path_release(struct ckpt_path *p)
{
	free(p->prefix);
	buf_release(&p->notes);
	memset(p, 0, sizeof(*p));
}

static int is_file(const char *path)
{
	struct ck_stat st;
	return ck_store_stat(path, &st, NULL) == 0 && st.kind == CK_STORE_FILE;
}

/* Something that is not a folder is at path: a file, or a FIFO or device that ck_file_open
 * will refuse by name (rather than "no such file"). */
static int exists(const char *path)
{
	struct ck_stat st;
	return ck_store_stat(path, &st, NULL) == 0 && st.kind != CK_STORE_MISSING &&
	       st.kind != CK_STORE_FOLDER;
}

static char *join(const char *dir, const char *name)
{
	if (!strcmp(dir, "."))
		return xstrdup(name);
	return xasprintf("%s%s%s", dir, has_suffix(dir, "/") ? "" : "/", name);
}

/* Does the table at path look like a legacy V1 checkpoint? 1 yes, 0 no/unknown. */
static int is_v1_table(const char *path)
{
	struct table *t;
	struct table_iter *it;
	const uint8_t *k, *v;
	size_t kn, vn;
	int r = 0;

	if (table_open(&t, path, NULL) < 0)
		return 0;
	it = table_iter_new(t);
	switch (table_iter_next(it, &k, &kn, &v, &vn, NULL)) {
	case 1:
		r = kn == 0 && vn && v[0] == 0x0a;
		break;
	case 0:
		break;
	default:
		/* V1 hook: a table whose first block is damaged; let the V1 reader name the damage
		 * rather than call it "not a checkpoint". */
		r = 1;
	}
	table_iter_free(it);
	table_free(t);
	return r;
}

static int glob_count(const char *pattern)
{
	char **paths;
	size_t n;

	if (ck_store_glob(pattern, &paths, &n, NULL) < 0)
		return 0;
	ck_store_glob_free(paths, n);
	return (int)n;
}

/* What lives at path: 2 (V2 prefix), 1 (V1 table file or shard pattern), 0 nothing. */
static int probe(const char *path)
{
	char *idx = bundle_index_path(path);
	int r = exists(idx);

	free(idx);
	if (r)
		return 2;
	if (is_file(path))
		return is_v1_table(path) ? 1 : 0;
	if (strpbrk(path, "*?[") && glob_count(path) > 0)
		return 1;  /* a sharded V1 save stores the glob "P-?????-of-N" */
	{
		char *pat = xasprintf("%s-\?\?\?\?\?-of-\?\?\?\?\?", path);
		r = glob_count(pat) > 0;
		free(pat);
		if (r)
			return 1;
	}
	return 0;
}

static int set_result(struct ckpt_path *out, const char *prefix, int kind)
{
	free(out->prefix);
	out->prefix = xstrdup(prefix);
	out->format = kind;
	return 0;
}

/* Does the checkpoint at prefix lie outside dir (after resolving "..", symbolic links)? */
static int outside_dir(const char *dir, const char *prefix)
{
	char *pd, *rd, *rp;
	int r = 0;

	if (ck_store_is_remote(dir))  /* no links: the names say it */
		return strncmp(prefix, dir, strlen(dir)) != 0;
	pd = path_folder(prefix);
	rd = realpath(dir, NULL);
	rp = realpath(pd, NULL);
	if (rd && rp && strcmp(rd, "/")) {
		size_t n = strlen(rd);
		r = strncmp(rp, rd, n) || (rp[n] && rp[n] != '/');
	}
	free(pd);
	free(rd);
	free(rp);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* When a folder holds no checkpoint, the user often named its parent: "; checkpoints in
 * subfolders: a/, b/" (sorted, the first four) for the subfolders that hold one (a state
 * file, an index, or a SavedModel's variables), or NULL. Looks at 1000 entries at most. */
struct hint_walk {
	const char *dir;
	char **hits;
	size_t nhits, seen;
};

static int holds_checkpoint_name(void *arg, const char *name)
{
	int *has = arg;
	*has = !strcmp(name, "checkpoint") || (has_suffix(name, ".index") && strcmp(name, ".index"));
	return *has;
}

static int hint_entry(void *arg, const char *name)
{
	struct hint_walk *w = arg;
	char *sub, *p;
	int has = 0;

	if (w->seen++ >= 1000)
		return 1;
	if (name[0] == '.')
		return 0;
	sub = join(w->dir, name);
	ck_store_list(sub, holds_checkpoint_name, &has, NULL);  /* not a folder: has stays 0 */
	p = join(sub, "variables/variables.index");
	if (has || is_file(p)) {
		w->hits = xreallocarray(w->hits, w->nhits + 1, sizeof(char *));
		w->hits[w->nhits++] = xstrdup(name);
	}
	free(p);
	free(sub);
	return 0;
}

static char *subfolder_hint(const char *dir)
{
	struct buf list = BUF_INIT;
	struct hint_walk w = { dir, NULL, 0, 0 };
	char **hits;
	size_t nhits;

	if (ck_store_list(dir, hint_entry, &w, NULL) < 0)
		return NULL;
	hits = w.hits;
	nhits = w.nhits;
	sort_array(hits, nhits, sizeof(char *), cmp_str);
	for (size_t i = 0; i < nhits; i++) {
		if (i < 4)
			buf_addf(&list, "%s%s/", i ? ", " : "; checkpoints in subfolders: ", hits[i]);
		free(hits[i]);
	}
	if (nhits > 4)
		buf_addf(&list, ", ... (%zu in all)", nhits);
	free(hits);
	return list.len ? buf_detach(&list, NULL) : NULL;
}

/* A path from file content as it was written: control characters and invalid bytes escaped,
 * but a backslash kept single, so that a Windows path reads as on Windows. */
static void add_shown(struct buf *b, const char *s)
{
	for (const char *bs; (bs = strchr(s, '\\')); s = bs + 1) {
		buf_add_escaped(b, s, (size_t)(bs - s));
		buf_addc(b, '\\');
	}
	buf_add_escaped(b, s, strlen(s));
}

/* Where a checkpoint a state file in dir names is: as written (relative to dir), or, when it
 * was written on another machine (or Windows), its base name beside the state file. NULL when
 * neither holds a checkpoint; *moved says the second was taken. */
static char *state_entry_find(const char *dir, const char *want, int *kind, int *moved)
{
	const char *base = want;
	char *cand = want[0] == '/' ? xstrdup(want) : join(dir, want);

	*moved = 0;
	if ((*kind = probe(cand)))
		return cand;
	free(cand);
	for (const char *p = want; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	if (!*base || base == want)
		return NULL;
	cand = join(dir, base);
	if ((*kind = probe(cand))) {
		*moved = 1;
		return cand;
	}
	free(cand);
	return NULL;
}

void ckpt_folder_release(struct ckpt_folder *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->c[i].prefix);
	free(f->c);
	free(f->state);
	free(f->latest);
	free(f->gone_latest);
	buf_release(&f->notes);
	memset(f, 0, sizeof(*f));
}

/* The file that identifies a checkpoint: its .index (V2), its table (V1), its first shard. */
static int same_checkpoint(const struct ckpt_found *a, const char *prefix, int format)
{
	struct ck_stat sa, sb;
	char *pa, *pb;
	int r;

	if (!strcmp(a->prefix, prefix))
		return 1;
	if (a->format != format || format != 2)
		return 0;
	pa = bundle_index_path(a->prefix);
	pb = bundle_index_path(prefix);
	r = ck_store_stat(pa, &sa, NULL) == 0 && ck_store_stat(pb, &sb, NULL) == 0 &&
	    sa.kind != CK_STORE_MISSING && sb.kind != CK_STORE_MISSING && sa.ino &&
	    sa.dev == sb.dev && sa.ino == sb.ino;
	free(pa);
	free(pb);
	return r;
}

static void folder_add(struct ckpt_folder *f, const char *prefix, int format, int listed)
{
	for (size_t i = 0; i < f->n; i++)
		if (same_checkpoint(&f->c[i], prefix, format))
			return;
	f->c = xreallocarray(f->c, f->n + 1, sizeof(*f->c));
	f->c[f->n].prefix = xstrdup(prefix);
	f->c[f->n].format = format;
	f->c[f->n].listed = listed;
	f->n++;
}

static int cmp_natural(const void *a, const void *b)
{
	return strverscmp(((const struct ckpt_found *)a)->prefix, ((const struct ckpt_found *)b)->prefix);
}

/* Names that are never a V1 checkpoint table, so the scan need not open them. */
static int skip_for_v1(const char *name)
{
	static const char *const suffixes[] = { ".index", ".meta", ".pb", ".pbtxt", ".txt", ".json",
						".npz", ".npy", ".safetensors", ".h5", ".tmp" };

	if (name[0] == '.' || !strcmp(name, "checkpoint") || strstr(name, ".data-") ||
	    !strncmp(name, "events.out.", 11))
		return 1;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++)
		if (has_suffix(name, suffixes[i]))
			return 1;
	return 0;
}

/* V1 sharded saves name their files P-NNNNN-of-NNNNN: the glob P-?????-of-NNNNN, or NULL. */
static char *v1_shard_glob(const char *name)
{
	regex_t re;
	regmatch_t m;
	char *r = NULL;

	if (regcomp(&re, "-[0-9]{5}-of-[0-9]{5}$", REG_EXTENDED))
		return NULL;
	if (regexec(&re, name, 1, &m, 0) == 0)
		r = xasprintf("%.*s-?????%s", (int)m.rm_so, name, name + m.rm_so + 6);
	regfree(&re);
	return r;
}

struct listing {
	const char *dir;
	struct ckpt_folder extra;
};

static int listing_entry(void *arg, const char *name)
{
	struct listing *l = arg;
	char *full, *pat;

	if (has_suffix(name, ".index") && strcmp(name, ".index")) {
		char *prefix = xmemdup(name, strlen(name) - 6), *idx;
		full = join(l->dir, prefix);
		idx = join(l->dir, name);
		if (exists(idx))
			folder_add(&l->extra, full, 2, 0);
		free(idx);
		free(full);
		free(prefix);
		return 0;
	}
	if (skip_for_v1(name))
		return 0;
	full = join(l->dir, name);
	if ((pat = v1_shard_glob(full))) {
		if (is_v1_table(full))
			folder_add(&l->extra, pat, 1, 0);
		free(pat);
	} else if (is_file(full) && is_v1_table(full)) {
		folder_add(&l->extra, full, 1, 0);
	}
	free(full);
	return 0;
}

/* The checkpoints of dir's listing, not yet in f, in natural order after f's own. */
static void scan_listing(struct listing *l, struct ckpt_folder *f)
{
	sort_array(l->extra.c, l->extra.n, sizeof(*l->extra.c), cmp_natural);
	for (size_t i = 0; i < l->extra.n; i++)
		folder_add(f, l->extra.c[i].prefix, l->extra.c[i].format, 0);
	ckpt_folder_release(&l->extra);
}

static void scan_state(const char *dir, struct ckpt_state *st, struct ckpt_folder *f)
{
	size_t n = st->nall;
	int seen_latest = 0;

	for (size_t i = 0; i <= n; i++) {
		/* The newest last, also when all_model_checkpoint_paths leaves it out. */
		const char *want = i < n ? st->all_model_checkpoint_paths[i] : st->model_checkpoint_path;
		int kind, moved, is_latest = !strcmp(want, st->model_checkpoint_path);
		char *at;
		if (i == n && seen_latest)
			break;
		seen_latest |= is_latest;
		at = state_entry_find(dir, want, &kind, &moved);
		if (at) {
			if (moved) {
				buf_addf(&f->notes, "%s names \"", f->state);
				add_shown(&f->notes, want);
				buf_addf(&f->notes, "\", which is not here; using \"%s\"\n", at);
			}
			folder_add(f, at, kind, 1);
			if (is_latest) {
				free(f->latest);
				f->latest = xstrdup(at);
			}
			free(at);
		} else if (is_latest) {
			struct buf b = BUF_INIT;
			add_shown(&b, want);
			free(f->gone_latest);
			f->gone_latest = buf_detach(&b, NULL);
		} else {
			buf_addf(&f->notes, "%s lists \"", f->state);
			add_shown(&f->notes, want);
			buf_addf(&f->notes, "\", which is gone\n");
		}
	}
}

int ckpt_folder_scan(const char *dir, struct ckpt_folder *f, struct ck_err *err)
{
	char *state;
	struct listing l = { dir, { 0 } };
	int rc;

	memset(f, 0, sizeof(*f));
	/* The listing first: a folder that cannot be listed is the error to report. */
	rc = ck_store_list(dir, listing_entry, &l, err);
	if (rc == CK_EUNSUP && !ck_store_can_list(dir))
		rc = 0; /* an https folder is not listed: its state file says what it holds */
	if (rc < 0 && ck_store_is_remote(dir)) {
		/* a bucket may allow reading objects but not listing them: then the state file,
		 * when there is one, says what the folder holds */
		char *sf = join(dir, "checkpoint");
		if (exists(sf)) {
			ckpt_folder_release(&l.extra);
			memset(&l.extra, 0, sizeof(l.extra));
			rc = 0;
		}
		free(sf);
	}
	if (rc < 0) {
		ckpt_folder_release(&l.extra);
		return rc;
	}
	state = join(dir, "checkpoint");
	if (exists(state)) {
		struct ckpt_state st;
		rc = ckpt_state_read(state, &st, err);
		if (rc < 0) {
			ckpt_folder_release(&l.extra);
			free(state);
			return rc;
		}
		f->state = state;
		state = NULL;
		scan_state(dir, &st, f);
		ckpt_state_release(&st);
	}
	free(state);
	scan_listing(&l, f);
	return 0;
}

/* "; this folder holds N checkpoints: a, b, ..." (base names, the last eight) for a hint. */
static void add_folder_list(struct buf *b, const struct ckpt_folder *f)
{
	size_t from = f->n > 8 ? f->n - 8 : 0;

	if (!f->n)
		return;
	buf_addf(b, "this folder holds %zu checkpoint%s: ", f->n, f->n == 1 ? "" : "s");
	if (from)
		buf_addf(b, "..., ");
	for (size_t i = from; i < f->n; i++)
		buf_addf(b, "%s%s", i > from ? ", " : "", path_base(f->c[i].prefix));
}

/* Follow a state file in dir. When its newest checkpoint is gone, the newest it lists that is
 * still there, with a warning: a training run that lost its last save still has the others. */
static int resolve_state(const char *state_path, const char *dir, struct ckpt_path *out,
			 struct ck_err *err)
{
	struct ckpt_state st;
	struct ckpt_folder f = { 0 };
	struct buf shown = BUF_INIT, list = BUF_INIT;
	char *at;
	int rc, kind, moved;
	size_t newest;

	rc = ckpt_state_read(state_path, &st, err);
	if (rc < 0)
		return rc;
	/* The stored path is file content: shown as written, escaped where not printable. */
	add_shown(&shown, st.model_checkpoint_path);
	at = state_entry_find(dir, st.model_checkpoint_path, &kind, &moved);
	if (at) {
		/* TF follows it too; say so, since it is not where the user looked. */
		if (moved)
			buf_addf(&out->notes, "%s names \"%s\", which is not here; using \"%s\"\n",
				 state_path, (char *)shown.p, at);
		else if (outside_dir(dir, at))
			buf_addf(&out->notes, "%s names \"%s\", outside its folder; following it\n",
				 state_path, (char *)shown.p);
		set_result(out, at, kind);
		free(at);
		goto done;
	}
	{
		/* Another scan reads the state file again: cheap, and one home for the listing. */
		struct ck_err ignored;
		if (ckpt_folder_scan(dir, &f, &ignored) < 0)
			memset(&f, 0, sizeof(f));
	}
	for (newest = f.n; newest > 0 && !f.c[newest - 1].listed; newest--)
		;
	if (newest) {
		const struct ckpt_found *use = &f.c[newest - 1];
		buf_addf(&out->notes, "warning: %s names \"%s\", which is gone; of the checkpoints it "
			 "lists, these are still here:", state_path, (char *)shown.p);
		for (size_t i = 0; i < f.n; i++)
			if (f.c[i].listed)
				buf_addf(&out->notes, " %s", path_base(f.c[i].prefix));
		buf_addf(&out->notes, "; using the newest, %s\n", use->prefix);
		set_result(out, use->prefix, use->format);
		goto done;
	}
	add_folder_list(&list, &f);
	{
		const char *want = st.model_checkpoint_path;
		char *cand = want[0] == '/' ? xstrdup(want) : join(dir, want);
		struct buf ec = BUF_INIT;
		add_shown(&ec, cand);
		rc = ck_error(err, CK_ENOTFOUND,
			      "%s: names checkpoint \"%s\", but %s.index does not exist (the checkpoints "
			      "it lists are gone; %s)", state_path, (char *)shown.p, (char *)ec.p,
			      list.len ? (char *)list.p : "pass a prefix instead");
		buf_release(&ec);
		free(cand);
	}
done:
	ckpt_folder_release(&f);
	buf_release(&shown);
	buf_release(&list);
	ckpt_state_release(&st);
	return rc;
}

static int resolve_dir(const char *dir, struct ckpt_path *out, struct ck_err *err)
{
	char *p = join(dir, "checkpoint");
	struct ckpt_folder f;
	struct buf list = BUF_INIT;
	int rc = 0;

	if (exists(p)) {
		rc = resolve_state(p, dir, out, err);
		free(p);
		return rc;
	}
	free(p);
	p = join(dir, "variables/variables");
	if (probe(p) == 2) {
		set_result(out, p, 2);
		free(p);
		return 0;
	}
	free(p);
	rc = ckpt_folder_scan(dir, &f, err);
	if (rc < 0)
		return rc;
	if (f.n == 1) {
		/* One checkpoint, V2 or a legacy V1 file: that is the one meant. */
		set_result(out, f.c[0].prefix, f.c[0].format);
	} else if (f.n == 0 && !ck_store_can_list(dir)) {
		rc = ck_error(err, CK_ENOTFOUND, "%s: a folder with no 'checkpoint' state file, and "
			      "an http(s) folder cannot be listed; name the checkpoint's prefix", dir);
	} else if (f.n == 0) {
		char *below = subfolder_hint(dir);
		rc = ck_error(err, CK_ENOTFOUND,
			      "%s: no checkpoint in this folder (no *.index file, no 'checkpoint' state "
			      "file, no variables/variables)%s", dir, below ? below : "");
		free(below);
	} else {
		for (size_t i = 0; i < f.n && i < 6; i++)
			buf_addf(&list, "%s%s", i ? ", " : "", path_base(f.c[i].prefix));
		if (f.n > 6)
			buf_addf(&list, ", ... (%zu in all)", f.n);
		rc = ck_error(err, CK_EUSAGE,
			      "%s: %zu checkpoints and no 'checkpoint' state file to choose one: %s; "
			      "pass one prefix, e.g. %s", dir, f.n, (char *)list.p, f.c[f.n - 1].prefix);
	}
	ckpt_folder_release(&f);
	buf_release(&list);
	return rc;
}

/* Is path a text state file? Reads only the first bytes. */
static int looks_like_state(const char *path)
{
	char head[64];
	struct ck_file *f;
	long long n;
	const char *p;

	if (ck_file_open(path, &f, NULL) < 0)
		return 0;
	n = ck_file_pread(f, head, sizeof(head) - 1, 0, NULL);
	ck_file_close(f);
	if (n <= 0)
		return 0;
	head[n] = '\0';
	for (p = head; *p && isspace((unsigned char)*p); p++)
		;
	return !strncmp(p, "model_checkpoint_path", 21) ||
	       !strncmp(p, "all_model_checkpoint_paths", 26);
}

static int strip_data_suffix(const char *arg, char **prefix)
{
	regex_t re;
	regmatch_t m;
	int r = 0;

	if (regcomp(&re, "\\.data-[0-9]{5,}-of-[0-9]{5,}$", REG_EXTENDED))
		return 0;
	if (regexec(&re, arg, 1, &m, 0) == 0) {
		*prefix = xmemdup(arg, (size_t)m.rm_so);
		r = 1;
	}
	regfree(&re);
	return r;
}

/* The checkpoint in f whose name shares the longest start with base (the newest on a tie), or
 * NULL when none shares a character: "model.ckpt-200" finds model.ckpt-2000. */
static const char *closest(const struct ckpt_folder *f, const char *base)
{
	const char *best = NULL;
	size_t best_n = 0;

	for (size_t i = 0; i < f->n; i++) {
		const char *b = path_base(f->c[i].prefix);
		size_t k = 0;
		while (b[k] && b[k] == base[k])
			k++;
		if (k && k >= best_n) {
			best = f->c[i].prefix;
			best_n = k;
		}
	}
	return best;
}

/* Does anything of checkpoint prefix other than its index exist (data shards, a .meta)? */
static int has_parts(const char *prefix)
{
	char *meta = xasprintf("%s.meta", prefix), *pat = xasprintf("%s.data-*-of-*", prefix);
	int r = is_file(meta) ? 2 : 0;

	if (glob_count(pat) > 0)
		r |= 1;
	free(meta);
	free(pat);
	return r;
}

/* arg names nothing (prefix: arg without ".index"): a bare "No such file" leaves the user
 * guessing, so name what is there: the rest of that checkpoint when only its index is missing,
 * the folder's checkpoints and the likeliest one meant. */
static int not_found(const char *arg, const char *prefix, struct ck_err *err)
{
	char *dir = path_folder(prefix);
	struct ckpt_folder f;
	struct ck_err ignored;
	struct buf msg = BUF_INIT;
	const char *best;
	int parts = has_parts(prefix), rc;

	if (ck_store_is_remote(prefix)) {
		/* the probes above took any failure for absence: a server that failed (timed out,
		 * refused access) is the error to report, not a missing checkpoint */
		char *idx = bundle_index_path(prefix);
		struct ck_stat st;
		rc = ck_store_stat(has_suffix(arg, ".index") ? arg : idx, &st, err);
		free(idx);
		if (rc < 0) {
			free(dir);
			return rc;
		}
	}
	if (parts)
		buf_addf(&msg, "%s.index: no such file, but %s%s%s of that checkpoint %s there: its "
			 "index is missing (an incomplete copy?)", prefix,
			 parts & 1 ? "the data shards" : "", parts == 3 ? " and " : "",
			 parts & 2 ? "the .meta graph" : "", parts == 2 ? "is" : "are");
	else if (ck_store_is_remote(arg))
		buf_addf(&msg, "%s: 404: no such object", arg);
	else
		buf_addf(&msg, "%s: %s", arg, strerror(ENOENT));
	if (ckpt_folder_scan(dir, &f, &ignored) == 0) {
		if (f.n) {  /* a folder without checkpoints may still have had a state file */
			best = closest(&f, path_base(prefix));
			buf_addf(&msg, "; ");
			if (best && (strcmp(best, prefix) || strcmp(arg, prefix)))
				buf_addf(&msg, "did you mean %s? ", best);
			add_folder_list(&msg, &f);
		}
		ckpt_folder_release(&f);
	}
	if (ck_store_is_remote(arg) && !strchr((char *)msg.p, ';'))
		buf_addf(&msg, "; is the prefix right?");
	rc = ck_error(err, CK_ENOTFOUND, "%s", (char *)msg.p);
	buf_release(&msg);
	free(dir);
	return rc;
}

/* P.data names no file, but the V1 shard glob P.data-?????-of-????? would match the V2 data
 * shards of P: say so instead of reading a data shard as a V1 table. */
static int data_without_shard(const char *arg, struct ck_err *err)
{
	char *prefix = xmemdup(arg, strlen(arg) - 5);
	int rc = 0;

	if (probe(prefix) == 2)
		rc = ck_error(err, CK_ENOTFOUND, "%s: no such file; did you mean the checkpoint %s? "
			      "(its data is in %s.data-NNNNN-of-NNNNN)", arg, prefix, prefix);
	free(prefix);
	return rc;
}

static int wrong_file(const char *arg, struct ck_err *err)
{
	const char *base = path_base(arg);

	if (has_suffix(arg, ".meta")) {
		char *prefix = xmemdup(arg, strlen(arg) - 5);
		/* Both ways on: its checkpoint (when it is there) and 'ckpt graph' for the graph. */
		int rc = probe(prefix)
			? ck_error(err, CK_EKIND,
				   "%s: a TF1 graph (.meta, MetaGraphDef), not checkpoint data; pass the "
				   "prefix \"%s\" for its tensors, or see the graph with 'ckpt graph %s'",
				   arg, prefix, arg)
			: ck_error(err, CK_EKIND,
				   "%s: a TF1 graph (.meta, MetaGraphDef), not checkpoint data, and no "
				   "checkpoint \"%s\" is beside it; see the graph with 'ckpt graph %s'",
				   arg, prefix, arg);
		free(prefix);
		return rc;
	}
	if (!strcmp(base, "saved_model.pb") || !strcmp(base, "saved_model.pbtxt")) {
		char *dir = path_folder(arg);
		int rc = ck_error(err, CK_EKIND,
				  "%s: a SavedModel graph, not checkpoint data; pass its folder \"%s\" "
				  "(the variables are in %s/variables/variables), or see the graph with "
				  "'ckpt graph %s'", arg, dir, dir, arg);
		free(dir);
		return rc;
	}
	if (!strcmp(base, "fingerprint.pb") || has_suffix(base, ".pb") || has_suffix(base, ".pbtxt"))
		return ck_error(err, CK_EKIND, "%s: a protobuf file, not a checkpoint", arg);
	return ck_error(err, CK_EKIND,
			"%s: not a checkpoint (neither a table file nor a 'checkpoint' state file)", arg);
}

int ckpt_resolve(const char *arg, struct ckpt_path *out, struct ck_err *err)
{
	struct ck_stat st;
	char *prefix = NULL;
	int kind;

	memset(out, 0, sizeof(*out));
	if (!*arg)
		return ck_error(err, CK_EUSAGE, "empty path");
	if (has_suffix(arg, ".index") && strlen(arg) > 6) {
		prefix = xmemdup(arg, strlen(arg) - 6);
		/* A folder or FIFO is refused by name when opened. */
		int rc = ck_store_stat(arg, &st, err);
		if (rc < 0 || st.kind == CK_STORE_MISSING) {
			rc = rc < 0 ? rc : not_found(arg, prefix, err);
			free(prefix);
			return rc;
		}
		set_result(out, prefix, 2);
		free(prefix);
		return 0;
	}
	if (has_suffix(arg, ".data") && !is_file(arg) && (kind = data_without_shard(arg, err)) < 0)
		return kind;
	if (strip_data_suffix(arg, &prefix)) {
		char *idx = bundle_index_path(prefix);
		int rc = 0;
		if (exists(idx))
			set_result(out, prefix, 2);
		else
			rc = ck_error(err, CK_ENOTFOUND,
				      "%s: no such file (\"%s\" is a data shard; its index is missing)",
				      idx, arg);
		free(idx);
		free(prefix);
		return rc;
	}
	/* a remote folder (a URL ending in '/') has no ".index" of its own: no request for one */
	if (!(ck_store_is_remote(arg) && has_suffix(arg, "/")) && probe(arg) == 2)
		return set_result(out, arg, 2);
	if ((kind = ck_store_stat(arg, &st, err)) < 0)
		return kind;
	if (st.kind == CK_STORE_MISSING) {
		if ((kind = probe(arg)))
			return set_result(out, arg, kind);
		return not_found(arg, arg, err);
	}
	if (st.kind == CK_STORE_FOLDER)
		return resolve_dir(arg, out, err);
	if (st.kind != CK_STORE_FILE)
		return ck_error(err, CK_EKIND, "%s: is %s, not a file", arg,
				ck_store_kind_name(st.mode));
	if (has_suffix(arg, ".meta") || !strcmp(path_base(arg), "saved_model.pb"))
		return wrong_file(arg, err);
	if (looks_like_state(arg)) {
		char *dir = path_folder(arg);
		int rc = resolve_state(arg, dir, out, err);
		free(dir);
		return rc;
	}
	if (is_v1_table(arg))
		return set_result(out, arg, 1);
	{
		/* A table that is not V1: a V2 index under an unusual name? */
		struct table *t;
		struct ck_err terr;
		int rc = table_open(&t, arg, &terr);
		if (rc == 0) {
			table_free(t);
			return ck_error(err, CK_EKIND,
					"%s: a table file but not a checkpoint this reads (a V2 index must be "
					"named PREFIX.index)", arg);
		}
		if (rc != CK_EKIND) {
			if (err)
				*err = terr;
			return rc;
		}
	}
	return wrong_file(arg, err);
}

/* A git checkout on a system without symlinks stores a link as a small file holding the
 * target's name: say so when an index turns out to be one. */
static void hint_symlink_text(const char *path, struct ck_err *err)
{
	struct buf text = BUF_INIT;
	char *dir, *target;

	if (read_small_file(path, &text, 1024, NULL) == 0 && text.len && text.len < 1024 &&
	    is_plain_utf8(text.p, text.len) && !memchr(text.p, '\n', text.len)) {
		dir = path_folder(path);
		target = text.p[0] == '/' ? xstrdup((char *)text.p) : join(dir, (char *)text.p);
		if (is_file(target)) {
			size_t n = strlen(err->msg);
			snprintf(err->msg + n, sizeof(err->msg) - n,
				 "; it holds the text \"%s\", a symbolic link saved as a file? pass %s",
				 (char *)text.p, target);
		}
		free(dir);
		free(target);
	}
	buf_release(&text);
}

int ckpt_open(struct bundle **b, const char *arg, struct ckpt_path *where, struct ck_err *err)
{
	int rc;

	*b = NULL;
	rc = ckpt_resolve(arg, where, err);
	if (rc < 0)
		return rc;
	return ckpt_open_resolved(b, where, err);
}

int ckpt_open_resolved(struct bundle **b, const struct ckpt_path *where, struct ck_err *err)
{
	int rc;

	*b = NULL;
	if (where->format == 1)  /* legacy V1 tables, read into the same struct bundle (v1.h) */
		return v1_open(b, where->prefix, err);
	rc = bundle_open(b, where->prefix, err);
	if ((rc == CK_EKIND || rc == CK_ECORRUPT) && err) {
		char *idx = bundle_index_path(where->prefix);
		hint_symlink_text(idx, err);
		free(idx);
	}
	return rc;
}
