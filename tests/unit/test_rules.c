/* rules: OLD=NEW, scopes, s/RE/REPL/[g], prefixes, map files, dropped names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edit/rules.h"
#include "tap.h"

static const char *apply(struct rules *r, const char *name, int *how)
{
	static struct buf out;
	*how = rules_apply(r, name, strlen(name), &out);
	return (const char *)out.p;
}

static struct rules make(const char *const *texts, int n)
{
	struct rules r;
	struct ck_err err;

	rules_init(&r);
	for (int i = 0; i < n; i++)
		if (rules_parse(&r, texts[i], &err) < 0)
			printf("# %s\n", err.msg);
	return r;
}

int main(void)
{
	struct ck_err err;
	struct rules r;
	int how;

	{
		const char *t[] = { "a/kernel=b/kernel", "enc/=encoder/", "s|/w(eights)?$|/kernel|" };
		r = make(t, 3);
		is_int(r.n, 3, "three rules");
		ok(!strcmp(apply(&r, "a/kernel", &how), "b/kernel") && how == RULES_RENAMED, "exact");
		ok(!strcmp(apply(&r, "a/kernel2", &how), "a/kernel2") && how == RULES_SAME, "exact only");
		ok(!strcmp(apply(&r, "enc/l0/bias", &how), "encoder/l0/bias"), "scope");
		ok(!strcmp(apply(&r, "enc/l0/weights", &how), "encoder/l0/kernel"), "rules chain in order");
		ok(!strcmp(apply(&r, "encoder/x", &how), "encoder/x"), "scope needs the whole prefix");
		rules_release(&r);
	}
	{
		const char *t[] = { "s/layer_([0-9]+)/block\\1/g", "s/o/0/", "s/^/m:/" };
		r = make(t, 3);
		ok(!strcmp(apply(&r, "layer_1/layer_22/out", &how), "m:bl0ck1/block22/out"),
		   "groups, g, and a first-only rule");
		rules_release(&r);
		r = make(t + 2, 1);
		ok(!strcmp(apply(&r, "x", &how), "m:x"), "an empty match at the start");
		rules_release(&r);
	}
	{
		const char *t[] = { "s/x*/-/g", "s/a/[&]/" };
		r = make(t, 2);
		ok(!strcmp(apply(&r, "abc", &how), "-[a]-b-c-"), "empty matches step over bytes; & is the match");
		rules_release(&r);
	}
	{
		const char *t[] = { "drop/me=", "tmp/=" };
		r = make(t, 2);
		apply(&r, "drop/me", &how);
		is_int(how, RULES_DROPPED, "an emptied name is dropped");
		ok(!strcmp(apply(&r, "tmp/x", &how), "x"), "a scope mapped to nothing strips it");
		is_int(r.v[0].hits, 1, "hits counted");
		rules_release(&r);
	}
	{
		char name[] = { 'a', 0, 'b' };
		struct buf out = BUF_INIT;
		const char *t[] = { "s/b$/c/" };
		r = make(t, 1);
		how = rules_apply(&r, name, 3, &out);
		ok(how == RULES_RENAMED && out.len == 3 && !memcmp(out.p, "a\0c", 3), "a NUL inside a name");
		buf_release(&out);
		rules_release(&r);
	}
	rules_init(&r);
	ok(rules_parse(&r, "nothing", &err) == CK_EUSAGE && strstr(err.msg, "not a rule"), "not a rule");
	ok(rules_parse(&r, "=x", &err) == CK_EUSAGE, "empty OLD");
	ok(rules_parse(&r, "s/(/x/", &err) == CK_EUSAGE && strstr(err.msg, "regular expression"), "bad regex");
	ok(rules_parse(&r, "s/a/\\2/", &err) == CK_EUSAGE && strstr(err.msg, "0 groups"), "missing group");
	ok(rules_parse(&r, "s/a/b/q", &err) == CK_EUSAGE && strstr(err.msg, "flag"), "bad flag");
	is_int(r.n, 0, "no rule added on errors");
	rules_add_prefix(&r, "new/");
	rules_strip_prefix(&r, "new/old/");
	ok(!strcmp(apply(&r, "old/x", &how), "x"), "add then strip a prefix");
	rules_release(&r);
	{
		char path[] = "/tmp/ckpt-rules-XXXXXX";
		int fd = mkstemp(path);
		FILE *f = fdopen(fd, "w");
		fputs("# comment\n\nold/a\tnew/a\r\ns/^x/y/\nscope/\tS/\n", f);
		fclose(f);
		rules_init(&r);
		ok(!rules_load(&r, path, &err) && r.n == 3, "map file: tab lines, rules, comments");
		ok(!strcmp(apply(&r, "old/a", &how), "new/a") && !strcmp(apply(&r, "xz", &how), "yz") &&
		   !strcmp(apply(&r, "scope/q", &how), "S/q"), "map file rules apply");
		rules_release(&r);
		f = fopen(path, "w");
		fputs("{\"a\": \"b\", \"s/\": \"t/\"}\n", f);
		fclose(f);
		rules_init(&r);
		ok(!rules_load(&r, path, &err) && r.n == 2 && !strcmp(apply(&r, "s/1", &how), "t/1"),
		   "map file: JSON object");
		rules_release(&r);
		f = fopen(path, "w");
		fputs("a=b\nbogus\n", f);
		fclose(f);
		rules_init(&r);
		ok(rules_load(&r, path, &err) < 0 && strstr(err.msg, ":2:"), "map file errors name the line");
		rules_release(&r);
		unlink(path);
		rules_init(&r);
		ok(rules_load(&r, path, &err) < 0, "a missing map file");
		rules_release(&r);
	}
	return tap_done();
}
