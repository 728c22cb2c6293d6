/* Fuzz target: path resolution (ckpt_resolve, ckpt_open) over a small folder the input builds.
 * Input: records  op:u8 | name:u8 | len:u16 LE | bytes[len], then the rest names the argument.
 *   op % 3 == 0  write file NAMES[name] with bytes
 *   op % 3 == 1  symbolic link NAMES[name] -> NAMES[bytes[0]] (relative, may dangle or loop)
 *   op % 3 == 2  make folder NAMES[name]
 * The argument is NAMES[k] or the folder itself, under the scratch folder. */
#include <assert.h>

#include "format/bundle.h"
#include "format/path.h"
#include "fuzz.h"

static const char *const NAMES[] = {
	"checkpoint", "model.ckpt-1.index", "model.ckpt-1.data-00000-of-00001",
	"variables/variables.index", "variables/variables.data-00000-of-00001", "x.meta",
	"saved_model.pb", "ckpt-3.index", "export-00000-of-00001", "export", "sub/checkpoint",
	"model.ckpt-1", "variables", "sub", "ckpt-3", "ckpt-3.data-00000-of-00001", ".index",
	"model.ckpt-1.data-00000-of-00002", "model.ckpt-1.data-00001-of-00002", "sub/x.index",
};
#define NNAMES (sizeof(NAMES) / sizeof(NAMES[0]))

static void make_parent(const char *root, const char *name)
{
	const char *slash = strrchr(name, '/');
	if (slash) {
		char *dir = xasprintf("%s/%.*s", root, (int)(slash - name), name);
		mkdir(dir, 0755);
		free(dir);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *root;
	struct ckpt_path where;
	struct bundle *b;
	struct ck_err err;
	char *arg;
	int rc;

	if (!root)
		root = xasprintf("%s/d", fuzz_dir());
	fuzz_rmtree(root);
	if (mkdir(root, 0755) < 0)
		abort();
	while (size >= 4 && data[0] != 0xff) {
		uint8_t op = data[0] % 3;
		size_t len = data[2] | (size_t)data[3] << 8;
		const char *name = NAMES[data[1] % NNAMES];
		char *path = xasprintf("%s/%s", root, name);

		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		make_parent(root, name);
		if (op == 0) {
			unlink(path);
			fuzz_write_soft(path, data, len);
		} else if (op == 1) {
			const char *to = NAMES[(len ? data[0] : 0) % NNAMES];
			if (symlink(to, path) < 0) {
				/* Something in the way (a file where a folder should be): fine. */
			}
		} else {
			mkdir(path, 0755);
		}
		free(path);
		data += len;
		size -= len;
	}
	if (size)
		data++, size--;
	if (size && data[0] < NNAMES)
		arg = xasprintf("%s/%s", root, NAMES[data[0]]);
	else
		arg = xasprintf("%s%s", root, size && data[0] % 2 ? "/" : "");
	rc = ckpt_resolve(arg, &where, &err);
	if (rc < 0) {
		assert(rc == err.code && err.msg[0]);
	} else {
		assert(where.prefix && (where.format == 1 || where.format == 2));
		ckpt_path_release(&where);
	}
	rc = ckpt_open(&b, arg, &where, &err);
	if (rc < 0)
		assert(rc == err.code && err.msg[0] && !b);
	else
		bundle_free(b);
	ckpt_path_release(&where);
	free(arg);
	return 0;
}
