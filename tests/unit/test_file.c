/* store/file: local files opened, read at offsets (short only at the end), refused when not
 * regular (a FIFO without blocking), stat and list of paths, capped whole reads, URLs told
 * apart (and refused while no remote backend is built in). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "store/file.h"
#include "tap.h"

static char dir[] = "/tmp/ckpt-test-file.XXXXXX";

static char *at(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void spew(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0 || write_full(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
}

static void test_open_read(void)
{
	char *p = at("ten"), *fifo = at("fifo"), *none = at("none");
	struct ck_file *f = NULL;
	struct ck_err err;
	char b[16] = { 0 };

	spew(p, "0123456789");
	ok(ck_file_open(p, &f, &err) == 0 && f, "a regular file opens");
	ok(f->size == 10 && f->fd >= 0 && f->mtime > 0 && !strcmp(f->name, p),
	   "it says its size, mtime, descriptor and name");
	ok((fcntl(f->fd, F_GETFD) & FD_CLOEXEC) && !(fcntl(f->fd, F_GETFL) & O_NONBLOCK),
	   "close-on-exec, blocking again");
	is_int(ck_file_pread(f, b, 4, 3, &err), 4, "pread at an offset");
	ok(!memcmp(b, "3456", 4), "the right bytes");
	is_int(ck_file_pread(f, b, 16, 6, &err), 4, "short only at the end of the file");
	is_int(ck_file_pread(f, b, 4, 20, &err), 0, "nothing past the end");
	ok(ck_file_read_exact(f, b, 10, 0, &err) == 0 && !memcmp(b, "0123456789", 10),
	   "read_exact of the whole file");
	ok(ck_file_read_exact(f, b, 5, 8, &err) == CK_ECORRUPT && strstr(err.msg, "truncated") &&
	   strstr(err.msg, p), "read_exact past the end: truncated, naming the file");
	ck_file_advise(f, 0, 0);
	ck_file_close(f);
	ck_file_close(NULL);

	ok(ck_file_open(none, &f, &err) == CK_ENOTFOUND && !f, "a missing file: not found");
	ok(ck_file_open(dir, &f, &err) == CK_EKIND && strstr(err.msg, "is a directory, not a file"),
	   "a folder is refused: %s", err.msg);
	if (mkfifo(fifo, 0666) == 0) {
		/* No writer: a blocking open would hang here forever. */
		ok(ck_file_open(fifo, &f, &err) == CK_EKIND &&
		   strstr(err.msg, "is a FIFO, not a file"), "a FIFO is refused without blocking");
	}
	free(p);
	free(fifo);
	free(none);
}

static int collect(void *arg, const char *name)
{
	struct buf *b = arg;

	if (!strcmp(name, "stop"))
		return 7;
	buf_addf(b, "[%s]", name);
	return 0;
}

static void test_stat_list(void)
{
	char *sub = at("sub"), *a = at("sub/a"), *stop = at("sub/stop"), *none = at("none");
	struct ck_stat st;
	struct ck_err err;
	struct buf names = BUF_INIT;

	if (mkdir(sub, 0777) < 0)
		abort();
	spew(a, "abc");
	ok(ck_store_stat(a, &st, &err) == 0 && st.kind == CK_STORE_FILE && st.size == 3 &&
	   st.ino && S_ISREG(st.mode), "stat of a file");
	ok(ck_store_stat(sub, &st, &err) == 0 && st.kind == CK_STORE_FOLDER, "stat of a folder");
	ok(ck_store_stat(none, &st, &err) == 0 && st.kind == CK_STORE_MISSING,
	   "a missing path is no error");
	ok(ck_store_stat("/dev/null", &st, &err) == 0 && st.kind == CK_STORE_OTHER &&
	   !strcmp(ck_store_kind_name(st.mode), "a character device"), "a device is other");
	ok(ck_store_list(sub, collect, &names, &err) == 0 && names.len &&
	   !strcmp((char *)names.p, "[a]"), "list: the names, no . or ..");
	spew(stop, "");
	ok(ck_store_list(sub, collect, &names, &err) == 7, "the callback stops the walk");
	ok(ck_store_list(none, collect, &names, &err) == CK_ENOTFOUND, "listing a missing folder");
	{
		char *pat = at("sub/*"), *nomatch = at("sub/x*"), **paths;
		size_t n;
		ok(ck_store_glob(pat, &paths, &n, &err) == 0 && n == 2 &&
		   !strcmp(paths[0], a) && !strcmp(paths[1], stop), "glob: the matches, sorted");
		ck_store_glob_free(paths, n);
		ok(ck_store_glob(nomatch, &paths, &n, &err) == 0 && n == 0, "glob: no match, no error");
		ok(ck_store_glob("https://host/p-*", &paths, &n, &err) == CK_EUNSUP && n == 0,
		   "glob of a URL goes to the remote listing (an https folder has none)");
		free(pat);
		free(nomatch);
	}
	buf_release(&names);
	free(sub);
	free(a);
	free(stop);
	free(none);
}

static void test_read_all(void)
{
	char *p = at("small");
	struct buf b = BUF_INIT;
	struct ck_err err;

	spew(p, "hello\n");
	buf_add(&b, "x", 1);
	ok(ck_store_read_all(p, 6, &b, &err) == 0 && b.len == 7 && !strcmp((char *)b.p, "xhello\n"),
	   "read_all appends the whole file, NUL after it");
	ok(ck_store_read_all(p, 5, &b, &err) == CK_EUSAGE && b.len == 7 &&
	   strstr(err.msg, "larger than 5 bytes"), "over the cap: refused, nothing kept");
	ok(ck_store_read_all(dir, 100, &b, &err) < 0 && b.len == 7, "a folder cannot be read");
	buf_release(&b);
	free(p);
}

static void test_urls(void)
{
	struct ck_file *f = NULL;
	struct ck_stat st;
	struct ck_err err;

	ok(ck_store_is_remote("https://host/a") && ck_store_is_remote("HTTP://host/a") &&
	   ck_store_is_remote("s3://bucket/key") && ck_store_is_remote("Gs://bucket/key"),
	   "http, https, s3, gs URLs are remote, in any case");
	ok(!ck_store_is_remote("model.ckpt") && !ck_store_is_remote("/tmp/s3://x") &&
	   !ck_store_is_remote("ftp://host/a") && !ck_store_is_remote("s3:/bucket") &&
	   !ck_store_is_remote(""), "local paths and other schemes are not");
	/* URLs go to the remote backend (its requests are tested in test_remote): here only
	 * what it answers without the network */
	ok(ck_file_open("s3:///model.ckpt.index", &f, &err) == CK_EUSAGE && !f &&
	   strstr(err.msg, "no bucket"), "open of a URL goes to the remote backend: %s", err.msg);
	ok(ck_store_stat("https://host/dir/", &st, &err) == 0 && st.kind == CK_STORE_FOLDER,
	   "stat of a URL ending in '/': a folder");
	ok(ck_store_list("https://host/dir/", collect, NULL, &err) == CK_EUNSUP &&
	   strstr(err.msg, "cannot be listed"), "list of an https folder: unsupported");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_open_read();
	test_stat_list();
	test_read_all();
	test_urls();
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
		free(cmd);
	}
	return tap_done();
}
