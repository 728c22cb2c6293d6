/* Fuzz target: the `checkpoint` state file parser (protobuf text format of CheckpointState).
 * Input: the file's text. A successful parse yields a non-empty model_checkpoint_path. */
#include <assert.h>

#include "format/path.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ckpt_state st;
	struct ck_err err;
	/* The parser takes a buffer without a terminating NUL: copy to an exact-size block so
	 * AddressSanitizer catches any read past the end. */
	char *text = malloc(size ? size : 1);
	int rc;

	memcpy(text, data, size);
	rc = ckpt_state_parse(text, size, &st, &err);
	if (rc < 0) {
		assert(rc == err.code && err.msg[0]);
		assert(!st.model_checkpoint_path && !st.nall);
	} else {
		assert(st.model_checkpoint_path && st.model_checkpoint_path[0]);
		for (size_t i = 0; i < st.nall; i++)
			assert(st.all_model_checkpoint_paths[i]);
		ckpt_state_release(&st);
	}
	free(text);
	return 0;
}
