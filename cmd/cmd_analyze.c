/*
 * cmd_analyze.c — `llmtrail analyze EVIDENCE... [-o DIR]`: the one-shot.
 * Indexes the evidence into DIR/case.sqlite (incrementally: re-running on the
 * same evidence adds nothing), scans it with the shipped packs (plus --rules)
 * and writes every report into DIR (created with its parents; refused when
 * inside the evidence). Options are those of `scan` plus --jobs.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "pipeline/exitcode.h"
#include "pipeline/indexrun.h"
#include "pipeline/outpath.h"
#include "cmd/scanopt.h"

static const cli_option options[] = {
	SCAN_CLI_OPTION_ROWS
	{"jobs", 'j', "N", "worker threads for indexing (default: number of cores)"},
	INDEXRUN_TOTAL_OPTION
	{"append", 0, NULL, "add this evidence to the case already in the output folder (refused otherwise)"},
	{NULL, 0, NULL, NULL},
};

typedef struct analyze_ctx {
	scan_options scan;
	indexrun_options index;
	bool append;
} analyze_ctx;

static int on_option(void *vctx, const cli_option *opt, const char *value)
{
	analyze_ctx *c = vctx;
	int rc = scan_apply_option(&c->scan, opt, value);
	if (rc != 1)
		return rc;
	if (strcmp(opt->name, "append") == 0) {
		c->append = true;
		return 0;
	}
	if (strcmp(opt->name, "jobs") == 0) {
		return indexrun_parse_jobs(value, &c->index.jobs);
	}
	if (strcmp(opt->name, "max-total-bytes") == 0)
		return indexrun_parse_total(value, &c->index.max_total_bytes);
	return 0;
}

static int run(const command *self, int argc, char **argv)
{
	analyze_ctx c;
	memset(&c, 0, sizeof c);
	scan_options_init(&c.scan);
	c.index.argc = argc;
	c.index.argv = argv;
	int npos, code;
	int first = cli_parse(self, argc, argv, on_option, &c, &npos, &code);
	if (first < 0)
		return code;
	if ((code = scan_options_check(&c.scan)) != 0)
		return code;
	exit_state ex = {0};
	code = outpath_check("output folder", c.scan.out_dir, (const char *const *)(argv + first), (size_t)npos);
	if (code != 0)
		return code;
	if (outpath_mkdirs(c.scan.out_dir) != 0) {
		fprintf(stderr, "llmtrail: cannot create %s: %s\n", c.scan.out_dir, strerror(errno));
		return LT_EXIT_FATAL;
	}
	char case_path[PATH_MAX];
	if (snprintf(case_path, sizeof case_path, "%s/case.sqlite", c.scan.out_dir) >= (int)sizeof case_path) {
		fprintf(stderr, "llmtrail: output path too long\n");
		return LT_EXIT_USAGE;
	}
	if (!c.append && (code = outpath_check_same_case(case_path, (const char *const *)(argv + first), (size_t)npos)) != 0)
		return code;
	/* Parse once: the index workers detect with the scan's rules while each
	 * record is in memory, and the scan uses what they stored
	 * (pipeline/detectrun.h). Without them (out of memory, --redetect) the scan
	 * detects from the records, with the same result. */
	sigma_ruleset *rules = c.scan.redetect ? NULL : scan_rules_new(&c.scan);
	c.index.detect_rules = rules;
	int indexed = indexrun(case_path, (const char *const *)(argv + first), (size_t)npos, &c.index, &ex);
	ruleset_free(rules);
	if (indexed == 0) {
		char *cmdline = scan_command_line(argc, argv);
		c.scan.command_line = cmdline;
		c.scan.evidence_just_hashed = !c.append;
		scan_run(case_path, &c.scan, &ex);
		free(cmdline);
	}
	return exit_state_code(&ex);
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
