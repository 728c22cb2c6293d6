/* The subcommands: one file each (cmd_<name>.c), exporting its handler and help text. */
#ifndef CKPT_CMDS_H
#define CKPT_CMDS_H

int cmd_list(int argc, char **argv);
extern const char cmd_list_usage[];

#endif
