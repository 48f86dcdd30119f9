/*
 * cmd_verify.c — `llmtrail verify CASE`: verify CloudTrail digest chains, the
 * hashes of the log files they list, and their signatures (analyzers/audit/verify.h,
 * docs/integrity.md).
 *
 * --public-keys may be given more than once; each file is read by content:
 * `aws cloudtrail list-public-keys` JSON adds keys, JSON Lines of
 * {"digestS3Object","signature"} adds the signatures of the newest digests
 * (kept in S3 object metadata, so absent from an export).
 * After the digests it prints the CloudTrail <-> invocation-log reconciliation
 * (analyzers/audit/reconcile.h): windows of calls without records, and coverage gaps.
 * Then the evidence on disk is re-checked against the case (store/custody.h):
 * a file gone or changed since it was indexed is said on stderr.
 * It ends with one verdict line, "N verified, M unverifiable, K invalid", and
 * what reconciliation found missing. Exit: 0 when every check verified and
 * nothing is missing; 1 when a check is invalid (tampering, deletion), a log
 * file is missing, calls or records lack their counterpart, CloudTrail has a
 * coverage gap, or a check is unverifiable (no digests at all, a signature
 * without its key) unless --allow-unverifiable; 2 for a bad key file; 3 when
 * evidence on disk is gone or changed (precedence: exitcode.h); 4 when the
 * case cannot be read.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "analyzers/audit/reconcile.h"
#include "analyzers/audit/verify.h"
#include "cmd/commands.h"
#include "pipeline/custodyrun.h"
#include "pipeline/exitcode.h"
#include "pipeline/progress.h"
#include "cmd/withcase.h"
#include "common/buf.h"
#include "common/log.h"
#include "store/case.h"
#include "store/custody.h"

static const cli_option options[] = {
	{"public-keys", 0, "FILE", "CloudTrail public keys (aws cloudtrail list-public-keys output)"},
	{"format", 'f', "FORMAT", "table or json (default: table)"},
	{"allow-unverifiable", 0, NULL, "exit 0 when checks are only unverifiable (no digests, no key), not invalid"},
	{NULL, 0, NULL, NULL},
};

typedef struct vf_ctx {
	verify_keys *keys;
	const char *format;
	bool allow_unverifiable;
} vf_ctx;

typedef struct vf_counts {
	size_t verified, unverifiable, invalid;
} vf_counts;

static int on_option(void *vctx, const cli_option *opt, const char *value)
{
	vf_ctx *c = vctx;
	if (strcmp(opt->name, "allow-unverifiable") == 0) {
		c->allow_unverifiable = true;
	} else if (strcmp(opt->name, "format") == 0) {
		if (strcmp(value, "table") != 0 && strcmp(value, "json") != 0) {
			fprintf(stderr, "llmtrail verify: --format wants table or json\n");
			return LT_EXIT_USAGE;
		}
		c->format = value;
	} else if (strcmp(opt->name, "public-keys") == 0) {
		lt_error err;
		lt_error_clear(&err);
		lt_status st = verify_keys_load(c->keys, value, &err);
		if (st != LT_OK) {
			log_lt_error(&err);
			return st == LT_EFATAL ? LT_EXIT_FATAL : LT_EXIT_USAGE;
		}
	}
	return 0;
}

static vf_counts count_checks(const verify_result *v)
{
	vf_counts n = {0, 0, 0};
	for (size_t i = 0; i < verify_nrows(v); i++) {
		rpt_check st = verify_row_at(v, i)->status;
		if (st == RPT_CHECK_VALID)
			n.verified++;
		else if (st == RPT_CHECK_INVALID)
			n.invalid++;
		else
			n.unverifiable++;
	}
	return n;
}

/* Something reconciliation says is missing: calls without their record,
 * records without their call, hours CloudTrail should have covered. */
static size_t missing_count(const reconcile_summary *rs)
{
	return rs->ct_only + rs->inv_only + rs->gaps;
}

static lt_status verdict_line(buf *b, const vf_counts *n, const verify_summary *vs, const reconcile_summary *rs)
{
	lt_status st = buf_printf(b, "\nverify: %zu verified, %zu unverifiable, %zu invalid", n->verified,
	                          n->unverifiable, n->invalid);
	if (st == LT_OK && vs->digests == 0)
		st = buf_puts(b, " (no CloudTrail digest files in the case: the logs' integrity is unverifiable)");
	if (st == LT_OK)
		st = buf_printf(b, "; %zu log file%s missing; %zu call%s without an invocation record, %zu record%s "
		                   "without a call, %zu CloudTrail coverage gap%s\n",
		                vs->logfiles_missing, vs->logfiles_missing == 1 ? "" : "s", rs->ct_only,
		                rs->ct_only == 1 ? "" : "s", rs->inv_only, rs->inv_only == 1 ? "" : "s", rs->gaps,
		                rs->gaps == 1 ? "" : "s");
	return st;
}

static int verify_exit(const vf_ctx *ctx, const vf_counts *n, const verify_summary *vs, const reconcile_summary *rs)
{
	if (n->invalid > 0 || vs->logfiles_missing > 0 || missing_count(rs) > 0)
		return LT_EXIT_FINDINGS;
	if ((n->unverifiable > 0 || vs->digests == 0) && !ctx->allow_unverifiable)
		return LT_EXIT_FINDINGS;
	return LT_EXIT_CLEAN;
}

/* Digest verification, then reconciliation with the digests' span as the
 * time CloudTrail claims to cover. */
static int write_results(case_db *c, const vf_ctx *ctx, const verify_result *v, buf *b)
{
	lt_error err;
	lt_error_clear(&err);
	reconcile_options ro;
	reconcile_options_init(&ro);
	const verify_summary *vs = verify_get_summary(v);
	if (vs->digests > 0 && vs->first_us >= 0) {
		ro.claimed_from_us = vs->first_us;
		ro.claimed_until_us = vs->last_us;
	}
	reconcile_result *rr = NULL;
	if (reconcile_case(c, &ro, &rr, &err) != LT_OK) {
		log_lt_error(&err);
		return LT_EXIT_FATAL;
	}
	int json = strcmp(ctx->format, "json") == 0;
	lt_status st = json ? buf_puts(b, "{\"digests\":") : LT_OK;
	if (st == LT_OK && vs->digests == 0 && !json)
		st = buf_puts(b, "no CloudTrail digest files in the case: nothing to verify\n");
	else if (st == LT_OK)
		st = verify_write(v, ctx->format, b);
	if (st == LT_OK)
		st = buf_puts(b, json ? ",\"reconciliation\":" : "\n");
	if (st == LT_OK)
		st = reconcile_write(rr, ctx->format, b);
	vf_counts n = count_checks(v);
	const reconcile_summary *rs = reconcile_get_summary(rr);
	if (st == LT_OK && json)
		st = buf_printf(b, ",\"verdict\":{\"verified\":%zu,\"unverifiable\":%zu,\"invalid\":%zu}}\n",
		                n.verified, n.unverifiable, n.invalid);
	else if (st == LT_OK)
		st = verdict_line(b, &n, vs, rs);
	int rc = verify_exit(ctx, &n, vs, rs);
	reconcile_result_free(rr);
	if (st != LT_OK) {
		fprintf(stderr, "llmtrail verify: out of memory\n");
		return LT_EXIT_FATAL;
	}
	return rc;
}

/* The progress line of the phase verify is in (a new line per phase). */
typedef struct vf_progress {
	progress *p;
	const char *phase;
} vf_progress;

static void on_progress(void *vctx, const char *phase, uint64_t done, uint64_t total)
{
	vf_progress *vp = vctx;
	if (vp->phase != phase) {
		progress_end(vp->p);
		vp->p = progress_new("verify", phase, total);
		vp->phase = phase;
	}
	progress_step(vp->p, done);
}

static int run_verify(case_db *c, void *vctx)
{
	const vf_ctx *ctx = vctx;
	lt_error err;
	lt_error_clear(&err);
	verify_result *v = NULL;
	vf_progress vp = {NULL, NULL};
	lt_status vs = verify_case_progress(c, ctx->keys, progress_wanted() ? on_progress : NULL, &vp, &v, &err);
	progress_end(vp.p);
	if (vs != LT_OK) {
		log_lt_error(&err);
		return LT_EXIT_FATAL;
	}
	buf b;
	buf_init(&b, 0);
	int rc = write_results(c, ctx, v, &b);
	int64_t issues = rc == LT_EXIT_FATAL ? 0 : custody_say(c, NULL, 0, CUSTODY_HASH_MAX, 0, NULL);
	exit_state ex = {0};
	exit_state_note(&ex, rc);
	exit_state_note(&ex, issues < 0 ? LT_EXIT_FATAL : issues > 0 ? LT_EXIT_UNREADABLE : LT_EXIT_CLEAN);
	if (b.len)
		fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	verify_result_free(v);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "llmtrail verify: error writing output\n");
		return LT_EXIT_FATAL;
	}
	return exit_state_code(&ex);
}

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	vf_ctx ctx = {verify_keys_new(), "table", false};
	if (ctx.keys == NULL) {
		fprintf(stderr, "llmtrail verify: out of memory\n");
		return LT_EXIT_FATAL;
	}
	int first = cli_parse(self, argc, argv, on_option, &ctx, &npos, &code);
	if (first < 0) {
		verify_keys_free(ctx.keys);
		return code;
	}
	int rc = with_case(argv[first], run_verify, &ctx);
	verify_keys_free(ctx.keys);
	return rc;
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
