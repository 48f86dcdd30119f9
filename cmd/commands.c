/*
 * commands.c — the subcommand table: the one list of what `llmtrail` can do.
 */
#include "cmd/commands.h"

#include <stddef.h>

const command *const cli_commands[] = {
	&cmd_analyze, &cmd_index, &cmd_scan, &cmd_timeline, &cmd_show,
	&cmd_stats,   &cmd_verify, &cmd_verify_report, &cmd_rules, &cmd_sql, NULL,
};
