/* The subcommands as table entries (as tmux's cmd-*.c): each src/cli/cmd_<name>.c exports one
 * `const struct cmd_entry cmd_<name>_entry`, and cmds.c lists them, the one place a command is
 * registered. Dispatch, `ckpt help`, the command list of `ckpt --help` (which the bash and zsh
 * completions and tests/man.t read) and the option checks all read the entries. */
#ifndef CKPT_CMDS_H
#define CKPT_CMDS_H

#include <stddef.h>

struct option;

struct cmd_entry {
	const char *name;
	const char *summary;          /* one line, for the command list of `ckpt --help` */
	const char *usage;            /* the --help text; its first paragraph is the synopsis */
	const char *optstring;        /* getopt_long's short options (leading ':' or "-:") */
	const struct option *options; /* getopt_long's long options, ending with a zero entry */
	/* Run the command on argv[0] = its name, argv[1..] = its arguments: an exit status. */
	int (*exec)(const struct cmd_entry *self, int argc, char **argv);
};

/* Every command, sorted by name (the order `ckpt --help` lists them in). */
extern const struct cmd_entry *const cmd_table[];
extern const size_t cmd_count;

/* The command of that exact name, or NULL. */
const struct cmd_entry *cmd_find(const char *name);

#endif
