/* outguard: inputs recognised by name, symlink and hard link; locks exclusive, released,
 * taken over when stale; the no-clobber rename; names elided in messages; option files
 * bounded. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "store/optfile.h"
#include "base/util.h"
#include "store/outfile.h"
#include "store/outguard.h"
#include "tap.h"

static char dir[] = "/tmp/ckpt-test-outguard.XXXXXX";

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

static void test_inputs(void)
{
	char *in = at("in.bin"), *sym = at("sym"), *hard = at("hard"), *other = at("other");
	struct ck_err err;

	spew(in, "x");
	spew(other, "y");
	if (symlink(in, sym) < 0 || link(in, hard) < 0)
		abort();
	ok(outguard_check(in, &err) == 0, "nothing registered: nothing refused");
	outguard_add_input(in);
	is_int(outguard_check(in, &err), CK_EUSAGE, "the input itself is refused");
	ok(strstr(err.msg, "never writes over its inputs") != NULL, "saying why: %s", err.msg);
	is_int(outguard_check(sym, &err), CK_EUSAGE, "a symlink to it is refused");
	is_int(outguard_check(hard, &err), CK_EUSAGE, "a hard link to it is refused");
	ok(strstr(err.msg, in) != NULL, "naming the input: %s", err.msg);
	is_int(outguard_check_replaced(hard, &err), 0, "a hard link only replaced by rename is not");
	is_int(outguard_check_replaced(sym, &err), CK_EUSAGE, "a symlink only replaced is");
	is_int(outguard_check_replaced(in, &err), CK_EUSAGE, "the input's own name only replaced is");
	is_int(outguard_check(other, &err), 0, "another file is not");
	is_int(outguard_check("/nonexistent/x", &err), 0, "a new name is not");
	outguard_reset();
	is_int(outguard_check(in, &err), 0, "after reset, nothing is refused");
	free(in);
	free(sym);
	free(hard);
	free(other);
}

static void test_locks(void)
{
	char *target = at("out"), *lock = at("out.lock");
	struct outlock a = OUTLOCK_INIT, b = OUTLOCK_INIT;
	struct ck_err err;
	struct stat st;

	is_int(outlock_take(&a, target, &err), 0, "a lock is taken");
	ok(stat(lock, &st) == 0, "its file exists beside the target");
	/* flock locks belong to open files: a second take in this process conflicts too. */
	is_int(outlock_take(&b, target, &err), CK_EEXIST, "a second writer is refused");
	ok(strstr(err.msg, "out.lock: another ckpt (process ") != NULL,
	   "naming the lock and its holder: %s", err.msg);
	outlock_release(&a);
	ok(stat(lock, &st) < 0 && errno == ENOENT, "release removes the lock file");
	spew(lock, "999999999\n");  /* left by a process that died: no flock held */
	is_int(outlock_take(&b, target, &err), 0, "a stale lock file is taken over");
	outlock_release(&b);
	outlock_release(&b);
	ok(1, "releasing twice is harmless");
	free(target);
	free(lock);
}

static void test_rename(void)
{
	char *a = at("ra"), *b = at("rb");

	spew(a, "a");
	spew(b, "b");
	ok(rename_noreplace(a, b) < 0 && errno == EEXIST, "no-clobber rename refuses an existing name");
	unlink(b);
	ok(rename_noreplace(a, b) == 0 && access(a, F_OK) < 0 && access(b, F_OK) == 0,
	   "and moves the file to a new one");
	unlink(b);
	free(a);
	free(b);
}

/* ck_outfile_reserve: on ext4 the blocks are had and the size stays; the writes then land in
 * them and the file ends where they do. */
static void test_reserve(void)
{
	struct ck_outfile f = CK_OUTFILE_INIT;
	struct ck_err err;
	struct statfs sf;
	struct stat st;
	char *path = at("reserved"), block[4096] = { 0 };
	int ext4;

	ok(ck_outfile_create(&f, path, NULL, &err) == 0, "an output file");
	ext4 = fstatfs(f.fd, &sf) == 0 && sf.f_type == 0xEF53;
	ck_outfile_reserve(&f, 1 << 20);
	ok(fstat(f.fd, &st) == 0 && st.st_size == 0, "reserving space leaves its size at 0");
	if (ext4)
		ok(st.st_blocks * 512 >= (1 << 20), "on ext4 the space is had (%lld blocks)",
		   (long long)st.st_blocks);
	else
		ok(st.st_blocks == 0, "elsewhere nothing is reserved (a reflink must stay possible)");
	ok(ck_outfile_write(&f, block, sizeof(block), &err) == 0 && fstat(f.fd, &st) == 0 &&
	   st.st_size == (off_t)sizeof(block), "a write after it makes the size");
	ck_outfile_abort(&f);
	free(path);
}

static void test_names(void)
{
	struct buf b = BUF_INIT;
	char *name = xmalloc(70001);
	size_t n = 70000;

	memset(name, 'a', n);
	memcpy(name, "start/", 6);
	memcpy(name + n - 4, "/end", 4);
	buf_add_name_msg(&b, name, n);
	ok(b.len <= NAME_MSG_MAX + 3, "a 70,000-byte name becomes %zu bytes", b.len);
	ok(!memcmp(b.p, "start/", 6) && !memcmp(b.p + b.len - 4, "/end", 4) &&
	   strstr((char *)b.p, "\xe2\x80\xa6"), "both ends kept, the middle elided");
	buf_reset(&b);
	/* UTF-8 (é = c3 a9) is cut between sequences, never inside one: from an even and an
	 * odd start, so that each cut falls once on a continuation byte. */
	for (size_t shift = 0; shift < 2; shift++) {
		name[0] = 'x';
		for (size_t i = shift; i + 1 < n; i += 2)
			memcpy(name + i, "\xc3\xa9", 2);
		buf_add_name_msg(&b, name, n - shift);
		ok(!strstr((char *)b.p, "\\x"), "no UTF-8 sequence is cut in two (start %zu)", shift);
		buf_reset(&b);
	}
	buf_add_name_msg(&b, "", 0);
	ok(b.p && !strcmp((char *)b.p, ""), "an empty name is an empty string");
	buf_reset(&b);
	buf_add_name_msg(&b, "a\nb", 3);
	ok(!strcmp((char *)b.p, "a\\x0ab"), "short names are escaped whole");
	buf_release(&b);
	free(name);
}

static void test_optfile(void)
{
	char *small = at("names.txt"), *big = at("big.txt");
	struct buf b = BUF_INIT;
	struct ck_err err;
	int fd;

	spew(small, "a\nb\n");
	is_int(optfile_read(small, &b, &err), 0, "a small file is read");
	ok(b.len == 4 && !strcmp((char *)b.p, "a\nb\n"), "whole, NUL-terminated");
	buf_reset(&b);
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0 || ftruncate(fd, (off_t)OPTFILE_MAX_SIZE + 1) < 0)
		abort();
	close(fd);
	{
		/* Lines: '\r's before '\n' dropped, an empty line kept, a NUL ends only its line,
		 * the last line without '\n' too. */
		static const char text[] = "one\r\n\ntw\0o\nthree";
		const char *want[] = { "one", "", "tw", "three" };
		struct buf t = BUF_INIT;
		char *cursor, *line;
		size_t n = 0;
		buf_add(&t, text, sizeof(text) - 1);
		buf_addc(&t, 0);
		t.len--;
		cursor = (char *)t.p;
		while ((line = optfile_line(&cursor, &t)) != NULL && n < 4)
			ok(!strcmp(line, want[n++]), "line %zu: \"%s\"", n, line);
		ok(n == 4 && !optfile_line(&cursor, &t), "four lines, then none");
		buf_release(&t);
	}
	is_int(optfile_read(big, &b, &err), CK_EUSAGE, "a file past the size limit is refused");
	ok(strstr(err.msg, big) && b.len == 0, "by name, unread: %s", err.msg);
	is_int(optfile_read("/dev/zero", &b, &err), CK_EUSAGE, "an endless line is refused");
	ok(strstr(err.msg, "/dev/zero:1: line longer") && b.len == 0, "%s", err.msg);
	unlink(big);
	unlink(small);
	buf_release(&b);
	free(small);
	free(big);
}

int main(void)
{
	char *p;

	if (!mkdtemp(dir))
		abort();
	test_inputs();
	test_locks();
	test_rename();
	test_names();
	test_reserve();
	test_optfile();
	const char *names[] = { "in.bin", "sym", "hard", "other" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p = at(names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
	return tap_done();
}
