/*
 * cmd_index.c — `llmtrail index`: add evidence (folders, archives, .json.gz files) to the case index CASE
 * (The implementation lands with its issue; until then it parses its options
 * and says it is not built.)
 */
#include "cmd/commands.h"
#include "cmd/exitcode.h"

static const cli_option options[] = {
	{"jobs", 'j', "N", "worker threads (default: number of cores)"},
	{"max-member-size", 0, "SIZE", "largest decompressed member accepted (default: 4G)"},
	{NULL, 0, NULL, NULL},
};

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	if (cli_parse(self, argc, argv, NULL, NULL, &npos, &code) < 0)
		return code;
	return cli_not_built(self);
}

const command cmd_index = {
	.name = "index",
	.args = "CASE EVIDENCE...",
	.summary = "add evidence (folders, archives, .json.gz files) to the case index CASE",
	.options = options,
	.min_args = 2,
	.max_args = -1,
	.main = run,
};
