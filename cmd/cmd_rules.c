/*
 * cmd_rules.c — `llmtrail rules`: list, lint or test Sigma rules (default PATH: the shipped packs)
 * (The implementation lands with its issue; until then it parses its options
 * and says it is not built.)
 */
#include "cmd/commands.h"
#include "cmd/exitcode.h"

static const cli_option options[] = {
	{"field-map", 0, "FILE", "field mapping (YAML) for rules written for other log sources"},
	{NULL, 0, NULL, NULL},
};

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	if (cli_parse(self, argc, argv, NULL, NULL, &npos, &code) < 0)
		return code;
	return cli_not_built(self);
}

const command cmd_rules = {
	.name = "rules",
	.args = "list|lint|test [PATH...]",
	.summary = "list, lint or test Sigma rules (default PATH: the shipped packs)",
	.options = options,
	.min_args = 1,
	.max_args = -1,
	.main = run,
};
