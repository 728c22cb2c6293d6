/* The subcommands: one file each (cmd_<name>.c), exporting its handler and help text. */
#ifndef CKPT_CMDS_H
#define CKPT_CMDS_H

int cmd_average(int argc, char **argv);
extern const char cmd_average_usage[];
int cmd_cast(int argc, char **argv);
extern const char cmd_cast_usage[];
int cmd_diff(int argc, char **argv);
extern const char cmd_diff_usage[];
int cmd_export(int argc, char **argv);
extern const char cmd_export_usage[];
int cmd_graph(int argc, char **argv);
extern const char cmd_graph_usage[];
int cmd_import(int argc, char **argv);
extern const char cmd_import_usage[];
int cmd_list(int argc, char **argv);
extern const char cmd_list_usage[];
int cmd_match(int argc, char **argv);
extern const char cmd_match_usage[];
int cmd_merge(int argc, char **argv);
extern const char cmd_merge_usage[];
int cmd_rename(int argc, char **argv);
extern const char cmd_rename_usage[];
int cmd_show(int argc, char **argv);
extern const char cmd_show_usage[];
int cmd_subset(int argc, char **argv);
extern const char cmd_subset_usage[];
int cmd_trend(int argc, char **argv);
extern const char cmd_trend_usage[];
int cmd_verify(int argc, char **argv);
extern const char cmd_verify_usage[];

#endif
