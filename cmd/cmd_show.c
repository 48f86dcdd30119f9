/*
 * cmd_show.c — `llmtrail show`: print the exact original record of an event and its provenance
 * (The implementation lands with its issue; until then it parses its options
 * and says it is not built.)
 */
#include "cmd/commands.h"
#include "cmd/exitcode.h"

static const cli_option options[] = {
	{"pretty", 'p', NULL, "pretty-print the record"},
	{NULL, 0, NULL, NULL},
};

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	if (cli_parse(self, argc, argv, NULL, NULL, &npos, &code) < 0)
		return code;
	return cli_not_built(self);
}

const command cmd_show = {
	.name = "show",
	.args = "CASE UID",
	.summary = "print the exact original record of an event and its provenance",
	.options = options,
	.min_args = 2,
	.max_args = 2,
	.main = run,
};
