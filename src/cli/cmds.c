/* The command table: the one list a new command (src/cli/cmd_<name>.c) is added to. */
#include "cli/cmds.h"

#include <string.h>

/* X(name) for each command, sorted by name. */
#define CKPT_COMMANDS(X) \
	X(average) X(cast) X(diff) X(export) X(graph) X(import) X(list) X(match) X(merge) \
	X(rename) X(show) X(subset) X(trend) X(verify)

#define DECLARE(name) extern const struct cmd_entry cmd_##name##_entry;
CKPT_COMMANDS(DECLARE)
#undef DECLARE

#define ENTRY(name) &cmd_##name##_entry,
const struct cmd_entry *const cmd_table[] = { CKPT_COMMANDS(ENTRY) };
#undef ENTRY
const size_t cmd_count = sizeof(cmd_table) / sizeof(cmd_table[0]);

const struct cmd_entry *cmd_find(const char *name)
{
	/* Fourteen names: a linear search needs no sorting to be right. */
	for (size_t i = 0; i < cmd_count; i++)
		if (!strcmp(cmd_table[i]->name, name))
			return cmd_table[i];
	return NULL;
}
