/*
 * cmd_timeline.c — `llmtrail timeline`: print events in time order, one per line
 * (The implementation lands with its issue; until then it parses its options
 * and says it is not built.)
 */
#include "cmd/commands.h"
#include "cmd/exitcode.h"

static const cli_option options[] = {
	{"since", 0, "TIME", "only events at or after TIME (ISO-8601)"},
	{"until", 0, "TIME", "only events before TIME (ISO-8601)"},
	{"source", 0, "SOURCE", "only events from SOURCE (cloudtrail|invocation)"},
	{"principal", 0, "ARN", "only events by this principal"},
	{"action", 0, "NAME", "only events with this action (eventName or operation)"},
	{"format", 'f', "FORMAT", "csv, jsonl or table (default: table)"},
	{NULL, 0, NULL, NULL},
};

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	if (cli_parse(self, argc, argv, NULL, NULL, &npos, &code) < 0)
		return code;
	return cli_not_built(self);
}

const command cmd_timeline = {
	.name = "timeline",
	.args = "CASE",
	.summary = "print events in time order, one per line",
	.options = options,
	.min_args = 1,
	.max_args = 1,
	.main = run,
};
