/* The state-file parser and path resolution, on a scratch folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/file.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "format/path.h"
#include "tap.h"

static char dir[] = "/tmp/ckpt-test-path.XXXXXX";

static void mk(const char *rel)
{
	char p[512];
	struct bundle_writer *w;
	struct ck_err err;
	float one = 1;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if (bundle_writer_open(&w, p, 1, BW_MKDIR, &err) == 0) {
		bundle_writer_add(w, "v", 1, DT_FLOAT, NULL, 0, 0, &one, 4);
		bundle_writer_finish(w, &err);
	}
}

static void text(const char *rel, const char *s)
{
	char p[512];
	FILE *f;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	fputs(s, f);
	fclose(f);
}

/* Resolve rel (inside dir); return the prefix relative to dir, or the error message. */
static const char *res(const char *rel, int *code, const char **notes)
{
	static char out[1200];
	char p[512];
	struct ckpt_path cp;
	struct ck_err err = { 0 };

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	*code = ckpt_resolve(p, &cp, &err);
	if (*code == 0)
		snprintf(out, sizeof(out), "%s", cp.prefix + strlen(dir) + 1);
	else
		snprintf(out, sizeof(out), "%s", err.msg);
	if (notes) {
		static char n[1200];
		snprintf(n, sizeof(n), "%s", cp.notes.p ? (char *)cp.notes.p : "");
		*notes = n;
	}
	ckpt_path_release(&cp);
	return out;
}

int main(void)
{
	struct ckpt_state st;
	struct ck_err err;
	const char *r, *notes;
	int code;

	ok(ckpt_state_parse("model_checkpoint_path: \"ckpt-3\"\nall_model_checkpoint_paths: \"ckpt-3\"\n",
			    68, &st, &err) == 0 && !strcmp(st.model_checkpoint_path, "ckpt-3") &&
	   st.nall == 1, "TF2 state file");
	ckpt_state_release(&st);
	{
		const char *t = "# comment\nmodel_checkpoint_path:'a\\\"b\\x41\\101\\n'\n"
				"all_model_checkpoint_timestamps: 1.6e9\nlast_preserved_timestamp: 2\n";
		ok(ckpt_state_parse(t, strlen(t), &st, &err) == 0 &&
		   !strcmp(st.model_checkpoint_path, "a\"bAA\n"), "escapes, comments, timestamps");
		ckpt_state_release(&st);
	}
	ok(ckpt_state_parse("all_model_checkpoint_paths: \"x\"\n", 32, &st, &err) == CK_ECORRUPT &&
	   strstr(err.msg, "no model_checkpoint_path"), "a state file without the latest path");
	ok(ckpt_state_parse("model_checkpoint_path: \"x\n", 26, &st, &err) == CK_ECORRUPT,
	   "an unterminated string");
	ok(ckpt_state_parse("\x08\x01\x12", 3, &st, &err) == CK_EKIND, "binary data is not a state file");
	ok(ckpt_state_parse("", 0, &st, &err) == CK_EKIND, "an empty file is not a state file");

	if (!mkdtemp(dir))
		return 1;
	mk("run/ckpt-1");
	mk("run/ckpt-2");
	text("run/checkpoint", "model_checkpoint_path: \"ckpt-2\"\nall_model_checkpoint_paths: \"ckpt-1\"\n"
			       "all_model_checkpoint_paths: \"ckpt-2\"\n");
	r = res("run/ckpt-1", &code, NULL);
	ok(code == 0 && !strcmp(r, "run/ckpt-1"), "a prefix: %s", r);
	r = res("run/ckpt-1.index", &code, NULL);
	ok(code == 0 && !strcmp(r, "run/ckpt-1"), "an .index file: %s", r);
	r = res("run/ckpt-1.data-00000-of-00001", &code, NULL);
	ok(code == 0 && !strcmp(r, "run/ckpt-1"), "a data shard: %s", r);
	r = res("run", &code, NULL);
	ok(code == 0 && !strcmp(r, "run/ckpt-2"), "a folder with a state file: %s", r);
	r = res("run/checkpoint", &code, NULL);
	ok(code == 0 && !strcmp(r, "run/ckpt-2"), "the state file itself: %s", r);
	r = res("run/ckpt-9.data-00000-of-00001", &code, NULL);
	ok(code == CK_ENOTFOUND && strstr(r, "its index is missing"), "a shard without index: %s", r);

	mk("moved/model.ckpt-100");
	text("moved/checkpoint", "model_checkpoint_path: \"/home/someone/train/model.ckpt-100\"\n");
	r = res("moved", &code, &notes);
	ok(code == 0 && !strcmp(r, "moved/model.ckpt-100") && strstr(notes, "which is not here"),
	   "an absolute path from another machine falls back to the base name, with a note");
	text("moved/checkpoint", "model_checkpoint_path: \"C:\\\\Users\\\\me\\\\model.ckpt-100\"\n");
	r = res("moved", &code, &notes);
	ok(code == 0 && !strcmp(r, "moved/model.ckpt-100"), "a Windows path falls back too: %s", r);
	text("moved/checkpoint", "model_checkpoint_path: \"model.ckpt-999\"\n");
	r = res("moved", &code, NULL);
	ok(code == CK_ENOTFOUND && strstr(r, "the checkpoints it lists are gone"),
	   "a state file naming a deleted checkpoint: %s", r);

	mk("two/a");
	mk("two/b");
	r = res("two", &code, NULL);
	ok(code < 0 && strstr(r, "2 checkpoints") && strstr(r, "a, b"), "two checkpoints, no state: %s", r);
	mk("one/only");
	r = res("one", &code, NULL);
	ok(code == 0 && !strcmp(r, "one/only"), "exactly one checkpoint: %s", r);
	mkdir(strcat(strcpy((char[512]){ 0 }, dir), "/empty"), 0777);
	r = res("empty", &code, NULL);
	ok(code == CK_ENOTFOUND && strstr(r, "no checkpoint in this folder"), "an empty folder: %s", r);
	mk("sm/variables/variables");
	text("sm/saved_model.pb", "\x08\x01");
	r = res("sm", &code, NULL);
	ok(code == 0 && !strcmp(r, "sm/variables/variables"), "a SavedModel folder: %s", r);
	r = res("sm/saved_model.pb", &code, NULL);
	ok(code == CK_EKIND && strstr(r, "SavedModel graph") && strstr(r, "pass its folder"),
	   "saved_model.pb gets a hint: %s", r);
	text("run/ckpt-2.meta", "\x0a\x00");
	r = res("run/ckpt-2.meta", &code, NULL);
	ok(code == CK_EKIND && strstr(r, ".meta") && strstr(r, "pass the prefix"), ".meta gets a hint: %s", r);
	r = res("nothing-here", &code, NULL);
	ok(code == CK_ENOTFOUND && strstr(r, "No such file"), "a missing path: %s", r);
	text("junk", "hello world, not a checkpoint at all, just long enough to have a footer...");
	r = res("junk", &code, NULL);
	ok(code == CK_EKIND && strstr(r, "not a checkpoint"), "an unrelated file: %s", r);

	/* The folder scan: listed checkpoints in the state file's order, then the others in
	 * natural order; the newest listed one gone is reported, not listed. */
	mk("scan/m-1000");
	mk("scan/m-500");
	mk("scan/m-20");
	mk("scan/other");
	text("scan/checkpoint", "model_checkpoint_path: \"m-3000\"\nall_model_checkpoint_paths: \"m-1000\"\n"
				"all_model_checkpoint_paths: \"m-2000\"\nall_model_checkpoint_paths: \"m-3000\"\n");
	{
		struct ckpt_folder f;
		char p[512], got[512] = "";
		snprintf(p, sizeof(p), "%s/scan", dir);
		code = ckpt_folder_scan(p, &f, &err);
		for (size_t i = 0; code == 0 && i < f.n; i++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s%s", i ? " " : "",
				 f.c[i].prefix + strlen(p) + 1, f.c[i].listed ? "*" : "");
		ok(code == 0 && !strcmp(got, "m-1000* m-20 m-500 other"), "folder scan order: %s", got);
		ok(code == 0 && f.gone_latest && !strcmp(f.gone_latest, "m-3000") && !f.latest &&
		   f.notes.p && strstr((char *)f.notes.p, "\"m-2000\", which is gone"),
		   "gone checkpoints: newest %s", f.gone_latest ? f.gone_latest : "(none)");
		ckpt_folder_release(&f);
	}
	r = res("scan", &code, &notes);
	ok(code == 0 && !strcmp(r, "scan/m-1000") && strstr(notes, "warning") && strstr(notes, "m-1000"),
	   "a stale state file: the newest listed checkpoint still there, with a warning: %s", r);
	r = res("scan/m-200", &code, NULL);
	ok(code == CK_ENOTFOUND && strstr(r, "did you mean") && strstr(r, "scan/m-20?") &&
	   strstr(r, "holds 4 checkpoints"), "a path naming nothing names the folder's: %s", r);
	{
		char p[512];
		struct ck_file *f = NULL;
		snprintf(p, sizeof(p), "%s/fifo", dir);
		mkfifo(p, 0600);
		ok(ck_file_open(p, &f, &err) == CK_EKIND && strstr(err.msg, "is a FIFO, not a file"),
		   "ck_file_open: %s", err.msg);
		snprintf(p, sizeof(p), "%s/scan/m-20.index", dir);
		ok(ck_file_open(p, &f, &err) == 0 && f, "ck_file_open of a regular file");
		ck_file_close(f);
	}
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd)) {}
	}
	return tap_done();
}
