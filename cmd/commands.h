/* commands.h - entry points of the subcommands, one cmd_<name>.c each.
 * Each takes argv with argv[0] = the command name, parses it with cli_opts.h
 * and returns an exit code, or CLI_HELP after printing its usage. */
#ifndef FUNNEL_COMMANDS_H
#define FUNNEL_COMMANDS_H

int cmd_append(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_chart(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_shard(int argc, char **argv);
int cmd_partial(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_entities(int argc, char **argv);
int cmd_explain(int argc, char **argv);

extern const char cmd_append_usage[];
extern const char cmd_replay_usage[];
extern const char cmd_check_usage[];
extern const char cmd_cat_usage[];
extern const char cmd_verify_usage[];
extern const char cmd_gen_usage[];
extern const char cmd_chart_usage[];
extern const char cmd_report_usage[];
extern const char cmd_shard_usage[];
extern const char cmd_partial_usage[];
extern const char cmd_merge_usage[];
extern const char cmd_entities_usage[];
extern const char cmd_explain_usage[];

#endif
