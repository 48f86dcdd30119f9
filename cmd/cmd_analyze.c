/*
 * cmd_analyze.c — `llmtrail analyze`: index evidence into a case, scan it with the rule packs and write the reports, in one go
 * (The implementation lands with its issue; until then it parses its options
 * and says it is not built.)
 */
#include "cmd/commands.h"
#include "cmd/exitcode.h"

static const cli_option options[] = {
	{"output", 'o', "DIR", "write reports into DIR (default: ./llmtrail-report)"},
	{"rules", 'r', "PATH", "also load Sigma rules from PATH (file or folder; repeatable)"},
	{"no-default-rules", 0, NULL, "do not load the shipped rule packs"},
	{"since", 0, "TIME", "only events at or after TIME (ISO-8601)"},
	{"until", 0, "TIME", "only events before TIME (ISO-8601)"},
	{"min-level", 0, "LEVEL", "report findings at or above LEVEL (informational|low|medium|high|critical)"},
	{"fail-on", 0, "LEVEL", "exit 1 when a finding is at or above LEVEL (default: high; none to disable)"},
	{"format", 'f', "LIST", "outputs to write: html,junit,jsonl,csv,md (default: all)"},
	{"no-redact", 0, NULL, "show matched secrets in full in reports"},
	{"public-keys", 0, "FILE", "CloudTrail public keys (aws cloudtrail list-public-keys output) for digest signatures"},
	{"jobs", 'j', "N", "worker threads for indexing (default: number of cores)"},
	{NULL, 0, NULL, NULL},
};

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	if (cli_parse(self, argc, argv, NULL, NULL, &npos, &code) < 0)
		return code;
	return cli_not_built(self);
}

const command cmd_analyze = {
	.name = "analyze",
	.args = "EVIDENCE...",
	.summary = "index evidence into a case, scan it with the rule packs and write the reports, in one go",
	.options = options,
	.min_args = 1,
	.max_args = -1,
	.main = run,
};
