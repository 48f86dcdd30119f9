/*
 * commands.h — every subcommand, one `command` each, defined in cmd/cmd_<name>.c.
 * The order of cli_commands (commands.c) is the order of `llmtrail --help`.
 */
#ifndef LLMTRAIL_CMD_COMMANDS_H
#define LLMTRAIL_CMD_COMMANDS_H

#include "cmd/cli.h"

extern const command cmd_analyze;
extern const command cmd_index;
extern const command cmd_scan;
extern const command cmd_timeline;
extern const command cmd_show;
extern const command cmd_stats;
extern const command cmd_verify;
extern const command cmd_verify_report;
extern const command cmd_rules;
extern const command cmd_sql;

#endif
