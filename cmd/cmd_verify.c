/*
 * cmd_verify.c — `llmtrail verify CASE`: verify CloudTrail digest chains, the
 * hashes of the log files they list, and their signatures (analyzers/verify.h,
 * docs/integrity.md).
 *
 * --public-keys may be given more than once; each file is read by content:
 * `aws cloudtrail list-public-keys` JSON adds keys, JSON Lines of
 * {"digestS3Object","signature"} adds the signatures of the newest digests
 * (kept in S3 object metadata, so absent from an export).
 * After the digests it prints the CloudTrail <-> invocation-log reconciliation
 * (analyzers/reconcile.h): windows of calls without records, and coverage gaps.
 * Then the evidence on disk is re-checked against the case (store/custody.h):
 * a file gone or changed since it was indexed is said on stderr.
 * Exit: 0 when nothing is invalid (unverifiable checks are said, not failed),
 * 1 when a check is invalid (tampering, deletion), 2 for a bad key file,
 * 3 when evidence on disk is gone or changed, 4 when the case cannot be read.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "analyzers/reconcile.h"
#include "analyzers/verify.h"
#include "cmd/commands.h"
#include "cmd/custodyrun.h"
#include "cmd/exitcode.h"
#include "cmd/withcase.h"
#include "common/buf.h"
#include "common/log.h"
#include "store/case.h"
#include "store/custody.h"

static const cli_option options[] = {
	{"public-keys", 0, "FILE", "CloudTrail public keys (aws cloudtrail list-public-keys output)"},
	{"format", 'f', "FORMAT", "table or json (default: table)"},
	{NULL, 0, NULL, NULL},
};

typedef struct vf_ctx {
	verify_keys *keys;
	const char *format;
} vf_ctx;

static int on_option(void *vctx, const cli_option *opt, const char *value)
{
	vf_ctx *c = vctx;
	if (strcmp(opt->name, "format") == 0) {
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
	if (st == LT_OK && json)
		st = buf_puts(b, "}\n");
	reconcile_result_free(rr);
	if (st != LT_OK) {
		fprintf(stderr, "llmtrail verify: out of memory\n");
		return LT_EXIT_FATAL;
	}
	return verify_overall(v) == RPT_CHECK_INVALID ? LT_EXIT_FINDINGS : LT_EXIT_CLEAN;
}

static int run_verify(case_db *c, void *vctx)
{
	const vf_ctx *ctx = vctx;
	lt_error err;
	lt_error_clear(&err);
	verify_result *v = NULL;
	if (verify_case(c, ctx->keys, &v, &err) != LT_OK) {
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
	vf_ctx ctx = {verify_keys_new(), "table"};
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
