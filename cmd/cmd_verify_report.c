/*
 * cmd_verify_report.c — `llmtrail verify-report DIR --public-key PUB.pem`:
 * checks a report set signed with scan/analyze --sign (reports/manifest.h):
 * the signature of DIR/manifest.sha256, then the SHA-256 of every report
 * file it lists. Prints what differs (escaped for the terminal), then one
 * verdict line with the manifest's digest. Exit: 0 when the signature
 * verifies and every listed file is as signed; 1 when not (a file altered
 * or missing, the manifest or signature altered, another key); 2 for usage
 * and an unreadable key; 4 when the manifest or signature cannot be read.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "pipeline/exitcode.h"
#include "common/buf.h"
#include "common/log.h"
#include "reports/manifest.h"
#include "store/case.h"

static const cli_option options[] = {
	{"public-key", 0, "FILE", "the signer's public key (PEM), e.g. openssl pkey -in KEY.pem -pubout"},
	{NULL, 0, NULL, NULL},
};

typedef struct vr_ctx {
	const char *public_key;
} vr_ctx;

static int on_option(void *vctx, const cli_option *opt, const char *value)
{
	vr_ctx *c = vctx;
	if (strcmp(opt->name, "public-key") == 0)
		c->public_key = value;
	return 0;
}

/* say, line by line, escaped: names in a tampered manifest are anyone's. */
static void print_escaped(const buf *say)
{
	buf t;
	buf_init(&t, 0);
	const char *p = say->data ? say->data : "", *end = p + say->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		buf_reset(&t);
		if (case_escape_text(&t, p, n) == LT_OK)
			printf("%.*s\n", (int)t.len, t.data ? t.data : "");
		p += n + 1;
	}
	buf_free(&t);
}

static int check(const char *dir, const manifest_key *key)
{
	manifest_check mc;
	buf say;
	buf_init(&say, 0);
	lt_error err;
	lt_error_clear(&err);
	if (manifest_verify(dir, key, &mc, &say, &err) != LT_OK) {
		log_lt_error(&err);
		buf_free(&say);
		return LT_EXIT_FATAL;
	}
	print_escaped(&say);
	buf_free(&say);
	bool html_ok = mc.html_evidence == MANIFEST_HTML_NONE || mc.html_evidence == MANIFEST_HTML_MATCHES;
	bool ok = mc.signature_ok && mc.altered == 0 && mc.missing == 0 && html_ok;
	static const char *const html_says[] = {"no report.html", "report.html shows it",
	                                        "report.html shows ANOTHER", "report.html shows NONE"};
	printf("verify-report: %s: signature %s; %zu of %zu report files as signed (%zu altered, %zu missing); "
	       "%zu evidence files listed, evidence manifest SHA-256 %s (%s); manifest SHA-256 %s\n",
	       ok ? "VALID" : "INVALID", mc.signature_ok ? "valid" : "INVALID", mc.outputs_ok, mc.outputs, mc.altered,
	       mc.missing, mc.evidence, mc.evidence_digest, html_says[mc.html_evidence], mc.digest);
	return ok ? LT_EXIT_CLEAN : LT_EXIT_FINDINGS;
}

static int run(const command *self, int argc, char **argv)
{
	int npos, code;
	vr_ctx ctx = {NULL};
	int first = cli_parse(self, argc, argv, on_option, &ctx, &npos, &code);
	if (first < 0)
		return code;
	if (ctx.public_key == NULL) {
		fprintf(stderr, "llmtrail verify-report: --public-key FILE is required\n");
		return LT_EXIT_USAGE;
	}
	manifest_key *key = NULL;
	lt_error err;
	lt_error_clear(&err);
	lt_status st = manifest_key_load(ctx.public_key, false, &key, &err);
	if (st != LT_OK) {
		log_lt_error(&err);
		return st == LT_EFATAL ? LT_EXIT_FATAL : LT_EXIT_USAGE;
	}
	int rc = check(argv[first], key);
	manifest_key_free(key);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "llmtrail verify-report: error writing output\n");
		return LT_EXIT_FATAL;
	}
	return rc;
}

const command cmd_verify_report = {
	.name = "verify-report",
	.args = "DIR",
	.summary = "check a report set signed with --sign: the signature and every report file's SHA-256",
	.options = options,
	.min_args = 1,
	.max_args = 1,
	.main = run,
};
