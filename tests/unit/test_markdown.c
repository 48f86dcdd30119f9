/*
 * test_markdown.c — the summary.md writer (reports/markdown.c): the exact
 * document for a known case, and hostile strings that cannot become a link,
 * an image, an autolink, HTML or a table-cell break.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/markdown.h"
#include "tests/unit/report_fixture.h"

static char *render(const report *r)
{
	lt_status st = LT_EFATAL;
	char *out = fixture_render(report_write_markdown, r, &st);
	assert_int_equal(st, LT_OK);
	assert_non_null(out);
	return out;
}

static void markdown__plain__exact_document(void **state)
{
	(void)state;
	report *r = fixture_plain();
	char *out = render(r);
	assert_string_equal(out,
	        "## llmtrail summary\n\n"
	        "**FAIL**: 2 findings at or above high (the fail-on level), 3 in all; 1 evidence problem: not "
	        "everything was read; 1 rule failed.\n\n"
	        "- Events: 30 (invocation 10, cloudtrail 20) from 1 evidence file\n"
	        "- Time range: 2024-05-01T06:00:00Z to 2024-05-01T10:50:00Z\n"
	        "- Rules: 7 (1 passed, 3 fired, 1 not applicable, 1 unsupported, 1 failed)\n"
	        "- Problems: 1\n"
	        "- Integrity checks: 3 (1 invalid)\n"
	        "- Redaction: on\n\n"
	        "| Level | Findings |\n|---|---:|\n| critical | 1 |\n| high | 1 |\n| medium | 0 |\n"
	        "| low | 1 |\n| informational | 0 |\n\n"
	        "### Top findings\n\n"
	        "| Level | Rule | Group | Events | First seen |\n|---|---|---|---:|---|\n"
	        "| critical | Repeated AccessDenied on Bedrock (bedrock\\-access\\-denied) | "
	        "principal\\=arn\\:aws\\:iam\\:\\:111122223333\\:user\\/bob\\, source\\_ip\\=203\\.0\\.113\\.9"
	        " | 3 | 2024-05-01T09:00:00Z |\n"
	        "| high | AWS access key in a prompt (aws\\-key\\-in\\-prompt) | "
	        "principal\\=arn\\:aws\\:iam\\:\\:111122223333\\:user\\/bob | 3 | 2024-05-01T09:00:00Z |\n"
	        "| low | Model listing (model\\-listing) |  | 1 | 2024-05-01T11:30:00Z |\n\n");
	free(out);
	report_free(r);
}

static void markdown__hostile__no_markup_can_form(void **state)
{
	(void)state;
	report *r = fixture_hostile();
	char *out = render(r);
	assert_null(strstr(out, "](")); /* no link or image */
	assert_null(strstr(out, "!["));
	for (const char *c = strchr(out, '<'); c != NULL; c = strchr(c + 1, '<'))
		assert_int_equal(c[-1], '\\'); /* no HTML: every '<' is escaped */
	assert_null(strstr(out, "://")); /* no autolink */
	assert_null(strstr(out, "www."));
	assert_null(strstr(out, "\xE2\x80\xAE"));
	assert_non_null(strstr(out, "\\!\\[x\\]\\(https\\:\\/\\/evil\\.example\\/\\?q\\=secret\\)"));
	assert_non_null(strstr(out, "\\<script\\>document\\.title\\=\\'pwned\\'\\<\\/script\\>"));
	assert_non_null(strstr(out, "\\=cmd\\|\\' \\/C calc\\'\\!A0"));
	/* table rows keep their 5 cells: every '|' from evidence is escaped */
	const char *rows = strstr(out, "|---|---|---|---:|---|\n");
	assert_non_null(rows);
	size_t nrows = 0;
	for (const char *line = rows + 23; *line == '|'; line = strchr(line, '\n') + 1) {
		size_t bars = 0;
		for (const char *c = line; *c != '\n'; c++)
			bars += *c == '|' && c[-1] != '\\';
		assert_int_equal(bars, 6);
		nrows++;
	}
	assert_int_equal(nrows, report_nfindings(r));
	for (const unsigned char *c = (const unsigned char *)out; *c; c++)
		assert_true(*c >= 0x20 || *c == '\n');
	free(out);
	report_free(r);
}

static void markdown__pass_and_caps(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	char *out = render(r);
	assert_non_null(strstr(out, "**NO EVIDENCE**: no event could be read, so nothing was judged.\n"));
	assert_non_null(strstr(out, "- Time range: n/a to n/a\n"));
	assert_null(strstr(out, "### Top findings"));
	free(out);
	report_free(r);
	r = fixture_many(50, 5); /* levels 0..4: 20 at or above high */
	out = render(r);
	assert_non_null(strstr(out, "**FAIL**: 20 findings at or above high (the fail-on level), 50 in all"));
	assert_non_null(strstr(out, "\n30 more findings in the full report.\n"));
	free(out);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(markdown__plain__exact_document),
		cmocka_unit_test(markdown__hostile__no_markup_can_form),
		cmocka_unit_test(markdown__pass_and_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
