/*
 * cmd_stats.c — `llmtrail stats CASE`: usage metrics as the Bedrock dashboard
 * shows them, computed offline (analyzers/audit/metrics.h, docs/metrics.md).
 *
 * Replays the case once (documents parsed for guardrail policy types, no
 * derived text) into a metrics grouped by the --by dimensions (default:
 * model; several --by give one row per combination), then prints the table
 * with a TOTAL row and the sections (input-token histogram, errors by code,
 * guardrail policies, CloudTrail Bedrock calls by action, anomalies); CSV
 * holds the grouping only; JSON everything.
 * Exit: 0, 2 for bad options, 4 when the case cannot be read.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "analyzers/audit/metrics.h"
#include "analyzers/audit/metrics_report.h"
#include "cmd/commands.h"
#include "pipeline/exitcode.h"
#include "cmd/withcase.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/ltime.h"
#include "store/case.h"

static const cli_option options[] = {
	{"by", 'b', "KEY", "group by model|principal|region|day|hour (repeatable)"},
	{"since", 0, "TIME", "only events at or after TIME (ISO-8601)"},
	{"until", 0, "TIME", "only events before TIME (ISO-8601)"},
	{"format", 'f', "FORMAT", "table, csv or json (default: table)"},
	{NULL, 0, NULL, NULL},
};

typedef struct st_ctx {
	metrics_options mo;
	const char *format;
} st_ctx;

static int on_option(void *vctx, const cli_option *opt, const char *value)
{
	st_ctx *c = vctx;
	if (strcmp(opt->name, "by") == 0) {
		int d = metrics_dim_parse(value);
		if (d < 0) {
			fprintf(stderr, "llmtrail stats: --by wants model, principal, region, day or hour\n");
			return LT_EXIT_USAGE;
		}
		if (c->mo.nby >= METRICS_MAX_BY) {
			fprintf(stderr, "llmtrail stats: at most %d --by\n", METRICS_MAX_BY);
			return LT_EXIT_USAGE;
		}
		c->mo.by[c->mo.nby++] = (metrics_dim)d;
	} else if (strcmp(opt->name, "since") == 0 || strcmp(opt->name, "until") == 0) {
		int64_t *t = opt->name[0] == 's' ? &c->mo.since_us : &c->mo.until_us;
		if (ltime_parse(value, strlen(value), t) != LT_OK) {
			fprintf(stderr, "llmtrail stats: --%s: not an ISO-8601 time: %s\n", opt->name, value);
			return LT_EXIT_USAGE;
		}
	} else if (strcmp(opt->name, "format") == 0) {
		if (strcmp(value, "table") != 0 && strcmp(value, "csv") != 0 && strcmp(value, "json") != 0) {
			fprintf(stderr, "llmtrail stats: --format wants table, csv or json\n");
			return LT_EXIT_USAGE;
		}
		c->format = value;
	}
	return 0;
}

static int run_stats(case_db *c, void *vctx)
{
	const st_ctx *ctx = vctx;
	metrics *m = metrics_new(&ctx->mo);
	if (m == NULL) {
		fprintf(stderr, "llmtrail stats: out of memory\n");
		return LT_EXIT_FATAL;
	}
	lt_error err;
	lt_error_clear(&err);
	if (metrics_run(c, m, &err) != LT_OK) {
		log_lt_error(&err);
		metrics_free(m);
		return LT_EXIT_FATAL;
	}
	buf b;
	buf_init(&b, 0);
	lt_status st = metrics_write(m, ctx->format, &b);
	if (st == LT_OK && b.len)
		fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	metrics_free(m);
	if (st != LT_OK) {
		fprintf(stderr, "llmtrail stats: out of memory\n");
		return LT_EXIT_FATAL;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "llmtrail stats: error writing output\n");
		return LT_EXIT_FATAL;
	}
	return LT_EXIT_CLEAN;
}

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	st_ctx ctx;
	metrics_options_init(&ctx.mo);
	ctx.format = "table";
	int first = cli_parse(self, argc, argv, on_option, &ctx, &npos, &code);
	if (first < 0)
		return code;
	return with_case(argv[first], run_stats, &ctx);
}

const command cmd_stats = {
	.name = "stats",
	.args = "CASE",
	.summary = "usage metrics as the Bedrock dashboard shows them, computed offline",
	.options = options,
	.min_args = 1,
	.max_args = 1,
	.main = run,
};
