/*
 * cmd_sql.c — `llmtrail sql --dialect athena|trino|spark|duckdb`: the rule
 * packs as one SQL script for engines that run where the logs lie
 * (analyzers/sigma/sigma_sql.h, docs/scale-out.md).
 *
 * Rules load exactly as for `scan` (the shipped packs unless
 * --no-default-rules, plus every --rules PATH); the script goes to -o FILE or
 * stdout. Rules the dialect cannot express are listed in the script's header
 * and counted on stderr; with --strict any such rule is an error (exit 2,
 * nothing written). Exit 2 also for a rule file that does not load or a usage
 * error, 4 for a fatal error.
 */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "analyzers/sigma/sigma.h"
#include "analyzers/sigma/sigma_sql.h"
#include "cmd/commands.h"
#include "pipeline/exitcode.h"
#include "pipeline/rulesdir.h"
#include "common/buf.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif
#define SQL_MAX_RULE_PATHS 64

static const cli_option options[] = {
	{"dialect", 'd', "NAME", "SQL dialect: duckdb, athena, trino or spark (required)"},
	{"rules", 'r', "PATH", "also compile Sigma rules from PATH (file or folder; repeatable)"},
	{"no-default-rules", 0, NULL, "do not compile the shipped rule packs"},
	{"evidence", 'e', "DIR", "local export folder the DuckDB views read (default: .)"},
	{"output", 'o', "FILE", "write the script to FILE (default: standard output)"},
	{"strict", 0, NULL, "fail when any rule cannot be expressed in the dialect"},
	{NULL, 0, NULL, NULL},
};

typedef struct sql_opts {
	bool have_dialect, no_default, strict;
	sigma_sql_dialect dialect;
	const char *evidence, *output;
	const char *rules[SQL_MAX_RULE_PATHS];
	size_t nrules;
} sql_opts;

static int on_option(void *ctx, const cli_option *opt, const char *value)
{
	sql_opts *o = ctx;
	if (strcmp(opt->name, "dialect") == 0) {
		if (!sigma_sql_dialect_parse(value, &o->dialect)) {
			fprintf(stderr, "llmtrail sql: --dialect wants duckdb, athena, trino or spark\n");
			return LT_EXIT_USAGE;
		}
		o->have_dialect = true;
	} else if (strcmp(opt->name, "rules") == 0) {
		if (o->nrules == SQL_MAX_RULE_PATHS) {
			fprintf(stderr, "llmtrail sql: at most %d --rules\n", SQL_MAX_RULE_PATHS);
			return LT_EXIT_USAGE;
		}
		o->rules[o->nrules++] = value;
	} else if (strcmp(opt->name, "no-default-rules") == 0) {
		o->no_default = true;
	} else if (strcmp(opt->name, "evidence") == 0) {
		o->evidence = value;
	} else if (strcmp(opt->name, "output") == 0) {
		o->output = value;
	} else if (strcmp(opt->name, "strict") == 0) {
		o->strict = true;
	}
	return 0;
}

static void say(const lt_error *err)
{
	char msg[2048];
	lt_error_format(err, msg, sizeof msg);
	fprintf(stderr, "llmtrail sql: %s\n", msg);
}

/* The shipped packs (unless --no-default-rules) and every --rules PATH. */
static int load_rules(const sql_opts *o, sigma_ruleset *rs)
{
	lt_error err;
	char shipped[PATH_MAX];
	int code = LT_EXIT_CLEAN;
	if (!o->no_default) {
		if (rulesdir_find(shipped, sizeof shipped) == NULL) {
			fprintf(stderr, "llmtrail sql: no shipped rule packs found (--no-default-rules to go without)\n");
			return LT_EXIT_USAGE;
		}
		lt_error_clear(&err);
		if (ruleset_load_path(rs, shipped, &err) != LT_OK) {
			say(&err);
			code = LT_EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < o->nrules; i++) {
		lt_error_clear(&err);
		if (ruleset_load_path(rs, o->rules[i], &err) != LT_OK) {
			say(&err);
			code = LT_EXIT_USAGE;
		}
	}
	lt_error_clear(&err);
	if (ruleset_compile(rs, &err) != LT_OK) {
		say(&err);
		return LT_EXIT_FATAL;
	}
	for (size_t i = 0; i < ruleset_count(rs); i++)
		if (sigma_rule_state(ruleset_rule(rs, i)) == SIGMA_ERROR)
			code = LT_EXIT_USAGE;
	return code;
}

static int write_out(const sql_opts *o, buf *b)
{
	FILE *f = o->output ? fopen(o->output, "wb") : stdout;
	if (f == NULL) {
		perror(o->output);
		return LT_EXIT_FATAL;
	}
	bool ok = b->len == 0 || fwrite(b->data, 1, b->len, f) == b->len;
	if (o->output ? fclose(f) != 0 : fflush(f) != 0)
		ok = false;
	if (!ok) {
		fprintf(stderr, "llmtrail sql: cannot write %s\n", o->output ? o->output : "standard output");
		return LT_EXIT_FATAL;
	}
	return LT_EXIT_CLEAN;
}

static int generate(const sql_opts *o, const sigma_ruleset *rs)
{
	lt_error err;
	lt_error_clear(&err);
	sigma_sql *q = NULL;
	lt_status st = sigma_sql_compile(rs, o->dialect, &q, &err);
	if (st != LT_OK) {
		say(&err);
		return st == LT_EFATAL ? LT_EXIT_FATAL : LT_EXIT_USAGE;
	}
	fprintf(stderr, "llmtrail sql: %zu rules compiled, %zu not expressible in %s (listed in the script's header)\n",
	        sigma_sql_ncompiled(q), sigma_sql_nskipped(q), sigma_sql_dialect_name(o->dialect));
	int code = LT_EXIT_CLEAN;
	if (o->strict && sigma_sql_nskipped(q) > 0) {
		for (size_t i = 0; i < sigma_sql_nskipped(q); i++)
			fprintf(stderr, "llmtrail sql: %s: %s\n", sigma_sql_skipped_rule(q, i),
			        sigma_sql_skipped_reason(q, i));
		code = LT_EXIT_USAGE;
	} else {
		buf b;
		buf_init(&b, SIGMA_SQL_MAX_SCRIPT);
		if (sigma_sql_write(q, o->evidence, &b) != LT_OK) {
			fprintf(stderr, "llmtrail sql: out of memory\n");
			code = LT_EXIT_FATAL;
		} else {
			code = write_out(o, &b);
		}
		buf_free(&b);
	}
	sigma_sql_free(q);
	return code;
}

static int run(const command *self, int argc, char **argv)
{
	sql_opts o;
	memset(&o, 0, sizeof o);
	int npos = 0, code = 0;
	if (cli_parse(self, argc, argv, on_option, &o, &npos, &code) < 0)
		return code;
	if (!o.have_dialect) {
		fprintf(stderr, "llmtrail sql: --dialect is required (duckdb, athena, trino or spark)\n");
		return LT_EXIT_USAGE;
	}
	sigma_ruleset *rs = ruleset_new();
	if (rs == NULL) {
		fprintf(stderr, "llmtrail sql: out of memory\n");
		return LT_EXIT_FATAL;
	}
	code = load_rules(&o, rs);
	if (code != LT_EXIT_FATAL) {
		int g = generate(&o, rs);
		if (g != LT_EXIT_CLEAN)
			code = g;
	}
	ruleset_free(rs);
	return code;
}

const command cmd_sql = {
	.name = "sql",
	.args = "",
	.summary = "write the rule packs as one SQL script for DuckDB, Athena, Trino or Spark",
	.options = options,
	.min_args = 0,
	.max_args = 0,
	.main = run,
};
