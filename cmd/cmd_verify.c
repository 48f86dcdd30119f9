/*
 * cmd_verify.c — `llmtrail verify`: verify CloudTrail digest chains, log-file hashes and signatures
 * (The implementation lands with its issue; until then it parses its options
 * and says it is not built.)
 */
#include "cmd/commands.h"
#include "cmd/exitcode.h"

static const cli_option options[] = {
	{"public-keys", 0, "FILE", "CloudTrail public keys (aws cloudtrail list-public-keys output)"},
	{"format", 'f', "FORMAT", "table or json (default: table)"},
	{NULL, 0, NULL, NULL},
};

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	if (cli_parse(self, argc, argv, NULL, NULL, &npos, &code) < 0)
		return code;
	return cli_not_built(self);
}

const command cmd_verify = {
	.name = "verify",
	.args = "CASE",
	.summary = "verify CloudTrail digest chains, log-file hashes and signatures",
	.options = options,
	.min_args = 1,
	.max_args = 1,
	.main = run,
};
