/* Walking a local folder tree for the files of one kind (`ckpt import DIR`'s .npy files). */
#include "store/walk.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The folders a walk has entered, by device and inode: a symbolic link to a folder already
 * searched (a loop, or a second way to the same files) is not followed again, so the walk
 * ends and imports each file once. */
struct walk {
	const char *root;
	struct { dev_t dev; ino_t ino; } *seen;
	size_t nseen;
	char **links;          /* links to folders, followed after the real folders */
	size_t nlinks;
	char **files;
	size_t nfiles;
	struct buf *notes;
	const char *suffix;
};

/* 1 if st's folder was entered before; else records it and returns 0. */
static int seen_before(struct walk *w, const struct stat *st)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
			return 1;
	w->seen = xreallocarray(w->seen, w->nseen + 1, sizeof(*w->seen));
	w->seen[w->nseen].dev = st->st_dev;
	w->seen[w->nseen++].ino = st->st_ino;
	return 0;
}

/* Every *.npy below root/rel, following symbolic links to files; links to folders are put
 * aside in w->links, so that a folder is reached by its real path when it has one. */
static int find_npy(struct walk *w, const char *rel, int depth, struct ck_err *err)
{
	char *dir = *rel ? xasprintf("%s/%s", w->root, rel) : xstrdup(w->root);
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		rc = ck_syserr(err, errno, "%s", dir);
		free(dir);
		return rc;
	}
	while ((de = readdir(d)) && !rc) {
		char *sub, *path;
		struct stat st, lst;
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		sub = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		path = xasprintf("%s/%s", w->root, sub);
		if (stat(path, &st) < 0 || lstat(path, &lst) < 0) {
			buf_addf(w->notes, "skipped %s: %s\n", path, strerror(errno));
		} else if (S_ISDIR(st.st_mode) && S_ISLNK(lst.st_mode)) {
			w->links = xreallocarray(w->links, w->nlinks + 1, sizeof(char *));
			w->links[w->nlinks++] = sub;
			sub = NULL;
		} else if (S_ISDIR(st.st_mode)) {
			if (depth < 64 && !seen_before(w, &st))
				rc = find_npy(w, sub, depth + 1, err);
		} else if (strlen(sub) > strlen(w->suffix) && has_suffix(sub, w->suffix)) {
			w->files = xreallocarray(w->files, w->nfiles + 1, sizeof(char *));
			w->files[w->nfiles++] = sub;
			sub = NULL;
		} else {
			buf_addf(w->notes, "skipped %s: not a %s file\n", path, w->suffix);
		}
		free(sub);
		free(path);
	}
	closedir(d);
	free(dir);
	return rc;
}

/* The real folders first, then the links to folders, round by round in name order (links
 * found behind links make the next round), each followed unless its folder was searched. */
static int walk_dir(struct walk *w, struct ck_err *err)
{
	struct stat st;
	int rc = 0;

	if (stat(w->root, &st) == 0)
		seen_before(w, &st);
	rc = find_npy(w, "", 0, err);
	while (!rc && w->nlinks) {
		char **round = w->links;
		size_t n = w->nlinks;
		w->links = NULL;
		w->nlinks = 0;
		sort_array(round, n, sizeof(*round), cmp_str);
		for (size_t i = 0; i < n; i++) {
			char *path = xasprintf("%s/%s", w->root, round[i]);
			int depth = 1;
			for (const char *c = round[i]; *c; c++)
				depth += *c == '/';
			if (!rc && stat(path, &st) == 0) {
				if (seen_before(w, &st))
					buf_addf(w->notes, "skipped %s: a link to a folder already searched\n",
						 path);
				else if (depth < 64)
					rc = find_npy(w, round[i], depth, err);
			}
			free(path);
			free(round[i]);
		}
		free(round);
	}
	for (size_t i = 0; i < w->nlinks; i++)
		free(w->links[i]);
	free(w->links);
	free(w->seen);
	return rc;
}

int store_walk(const char *root, const char *suffix, char ***files, size_t *n,
	       struct buf *notes, struct ck_err *err)
{
	struct walk w = { .root = root, .notes = notes, .suffix = suffix };
	int rc = walk_dir(&w, err);

	*files = w.files;
	*n = w.nfiles;
	return rc;
}
