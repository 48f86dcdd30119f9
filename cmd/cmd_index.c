/*
 * cmd_index.c — `llmtrail index CASE EVIDENCE...`: add evidence to a case index.
 *
 * Wires the indexer (store/indexer.h) to the terminal: a one-line progress
 * display on stderr when it is a terminal (files, MB, events/s, ETA), every
 * problem on stderr naming file, member and line (evidence text escaped),
 * and a summary on stdout. Exit 3 when some evidence was unreadable, 4 when
 * the case index could not be written.
 *
 * Parse once (issue 15): like `analyze`, `index` runs the stateless half of
 * rule matching in its workers while each record is in memory and stores
 * what it found (pipeline/detectrun.h), with the shipped packs and any
 * --rules; a later `scan` with the same rules reads no record it does not
 * need. --no-detect indexes only.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "cmd/scanopt.h"
#include "pipeline/exitcode.h"
#include "pipeline/indexrun.h"
#include "pipeline/outpath.h"

static const cli_option options[] = {
	{"jobs", 'j', "N", "worker threads (default: number of cores)"},
	{"max-member-size", 0, "SIZE", "largest decompressed member accepted (default: 4G)"},
	INDEXRUN_TOTAL_OPTION
	{"rules", 'r', "PATH", "also detect with the Sigma rules at PATH while indexing (file or folder; repeatable)"},
	{"no-default-rules", 0, NULL, "do not detect with the shipped rule packs"},
	{"no-detect", 0, NULL, "index only: store no detections (a later scan matches every record)"},
	{NULL, 0, NULL, NULL},
};

typedef struct index_ctx {
	indexrun_options run;
	scan_options rules; /* only its rule paths and default_rules are used */
	bool detect;
} index_ctx;

static int on_option(void *vctx, const cli_option *opt, const char *value)
{
	index_ctx *x = vctx;
	indexrun_options *c = &x->run;
	if (strcmp(opt->name, "rules") == 0 || strcmp(opt->name, "no-default-rules") == 0)
		return scan_apply_option(&x->rules, opt, value);
	if (strcmp(opt->name, "no-detect") == 0) {
		x->detect = false;
	} else if (strcmp(opt->name, "jobs") == 0) {
		return indexrun_parse_jobs(value, &c->jobs);
	} else if (strcmp(opt->name, "max-member-size") == 0) {
		c->max_member_bytes = indexrun_parse_size(value);
		if (c->max_member_bytes == 0) {
			fprintf(stderr, "llmtrail: --max-member-size wants a size like 512M or 4G\n");
			return LT_EXIT_USAGE;
		}
	} else if (strcmp(opt->name, "max-total-bytes") == 0) {
		return indexrun_parse_total(value, &c->max_total_bytes);
	}
	return 0;
}

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	index_ctx x = {.run = {0, 0, argc, argv, 0, NULL}, .detect = true};
	scan_options_init(&x.rules);
	int first = cli_parse(self, argc, argv, on_option, &x, &npos, &code);
	if (first < 0)
		return code;
	indexrun_options o = x.run;
	code = outpath_check("case", argv[first], (const char *const *)(argv + first + 1), (size_t)(npos - 1));
	if (code != 0)
		return code;
	exit_state ex = {0};
	/* without the rules (not found, out of memory) the index is the same, only without detections */
	sigma_ruleset *rules = x.detect ? scan_rules_new(&x.rules) : NULL;
	o.detect_rules = rules;
	indexrun(argv[first], (const char *const *)(argv + first + 1), (size_t)(npos - 1), &o, &ex);
	ruleset_free(rules);
	return exit_state_code(&ex);
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
