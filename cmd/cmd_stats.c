/*
 * cmd_stats.c — `llmtrail stats`: usage metrics as the Bedrock dashboard shows them, computed offline
 * (The implementation lands with its issue; until then it parses its options
 * and says it is not built.)
 */
#include "cmd/commands.h"
#include "cmd/exitcode.h"

static const cli_option options[] = {
	{"by", 'b', "KEY", "group by model|principal|region|day|hour (repeatable)"},
	{"since", 0, "TIME", "only events at or after TIME (ISO-8601)"},
	{"until", 0, "TIME", "only events before TIME (ISO-8601)"},
	{"format", 'f', "FORMAT", "table, csv or json (default: table)"},
	{NULL, 0, NULL, NULL},
};

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	if (cli_parse(self, argc, argv, NULL, NULL, &npos, &code) < 0)
		return code;
	return cli_not_built(self);
}

const command cmd_stats = {
	.name = "stats",
	.args = "CASE",
	.summary = "usage metrics as the Bedrock dashboard shows them, computed offline",
	.options = options,
	.min_args = 1,
	.max_args = 1,
	.main = run,
};
