/* What every command shares: reporting errors, usage, notes and option mistakes. Only the CLI
 * layer (main.c, cli.c, cmd_*.c) prints or chooses exit codes. */
#ifndef CKPT_CLI_H
#define CKPT_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "base/util.h"
#include "cli/cmds.h"
#include "edit/namefilter.h"

/* Exit statuses, as cmp(1) and diff(1). */
enum { EXIT_OK = 0, EXIT_DIFF = 1, EXIT_TROUBLE = 2 };

extern const char *cli_cmd;  /* name of the running command, for messages */

/* For a --json run (an argument --json, -j, --format json): a command that ends in trouble
 * without having printed its JSON prints {"error": {"message", "path", "exit", "command"}} on
 * stdout too, with the first error reported; main calls cli_exit with each command's status. */
void cli_json_mode(int argc, char **argv);
int cli_exit(int status);
/* "ckpt: CMD: message" on stderr; returns EXIT_TROUBLE. */
int cli_error(const struct ck_err *err);
int cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage mistake: message, then "usage:" line(s) and a pointer to --help; EXIT_TROUBLE. */
int cli_usage(const struct cmd_entry *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print each '\n'-ended line of notes as "ckpt: CMD: note". */
void cli_notes(const struct buf *notes);
struct surg_input;
/* Open the checkpoint a writing command reads (surg_input_open), printing the notes on how its
 * path was resolved either way: -1 when it is open, else the exit status of the error printed. */
int cli_surg_input(struct surg_input *in, const char *path);
/* Handle getopt's '?' and ':' (optstring starting with ':'): a value missing, or an unknown
 * option named with the closest of the command's options. */
int cli_bad_option(const struct cmd_entry *c, char **argv);
/* An --include or --exclude option: 0, or the usage message for a regex that does not
 * compile and EXIT_TROUBLE. */
int cli_add_filter(const struct cmd_entry *c, struct namefilter *f, const char *re, int exclude);
/* Exactly one operand (a checkpoint, an input...) named `what`: 0, or the usage message and
 * EXIT_TROUBLE. */
int cli_one_operand(const struct cmd_entry *c, int n, const char *what);
/* The --help text on stdout. */
int cli_help(const struct cmd_entry *c);
/* Flush stdout and report a write error (full disk, closed pipe) as trouble. */
int cli_finish(int status);
/* The allocation-failure handler main installs (xalloc_on_failure): one line, exit status 2. */
void cli_out_of_memory(size_t n);
/* Progress of a long copy on stderr when it is a terminal; done == total clears the line. */
void cli_progress(void *ctx, uint64_t done, uint64_t total);

#endif
