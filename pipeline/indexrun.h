/*
 * indexrun.h — running the indexer for a command: the terminal side of
 * store/indexer.h (progress line on a terminal, every problem on stderr with
 * evidence text escaped, a summary on stdout), shared by `index` and `analyze`.
 */
#ifndef LLMTRAIL_CMD_INDEXRUN_H
#define LLMTRAIL_CMD_INDEXRUN_H

#include <stddef.h>
#include <stdint.h>

#include "analyzers/sigma/sigma.h"
#include "pipeline/exitcode.h"

typedef struct indexrun_options {
	unsigned jobs;              /* 0 = number of cores */
	uint64_t max_member_bytes;  /* 0 = default */
	int argc;                   /* recorded in the case's run log */
	char *const *argv;
	uint64_t max_total_bytes;   /* --max-total-bytes; 0 = default, UINT64_MAX = none */
	/* Detect with these rules while indexing and store what they find
	 * (pipeline/detectrun.h; borrowed, compiled); NULL: index only. */
	const sigma_ruleset *detect_rules;
} indexrun_options;

#define INDEXRUN_TOTAL_OPTION \
	{"max-total-bytes", 0, "SIZE", "decompressed bytes this run may read in all, or 'none' (default: 256G)"},

/* --max-total-bytes SIZE|none into *out; 0, or LT_EXIT_USAGE after saying what is wrong. */
int indexrun_parse_total(const char *value, uint64_t *out);

/* Indexes paths into the case; notes unreadable evidence (3) or a fatal error (4) in ex.
 * Returns 0 when the case is usable afterwards (even with evidence problems), -1 if not. */
int indexrun(const char *case_path, const char *const *paths, size_t npaths, const indexrun_options *o,
             exit_state *ex);

/* --jobs N: 1..16 into *jobs; 0, or LT_EXIT_USAGE after saying what is wrong. */
int indexrun_parse_jobs(const char *value, unsigned *jobs);

/* "123", "64M", "4G", "512k" -> bytes; 0 on error. */
uint64_t indexrun_parse_size(const char *s);

#endif
