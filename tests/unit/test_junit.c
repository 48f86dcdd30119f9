/*
 * test_junit.c — the JUnit XML writer (reports/junit.c): structure and
 * counts, exact escaping of hostile strings, and validity against the Apache
 * Ant schema ($LLMTRAIL_CONFORMANCE/junit/JUnit.xsd) with libxml2's
 * xmlSchemaValidateDoc. Without the schema the plan stays whole: the cases
 * that can run still run, one at a time, and the schema cases are each an
 * "ok N - name # SKIP reason" line (cmocka 1.1's own skip prints "not ok
 * # SKIP", which the TAP driver counts as a failure), so a missing schema is
 * visible in the results, never a smaller plan.
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

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "reports/junit.h"
#include "tests/unit/report_fixture.h"

static char *render(const report *r)
{
	lt_status st = LT_EFATAL;
	char *out = fixture_render(report_write_junit, r, &st);
	assert_int_equal(st, LT_OK);
	assert_non_null(out);
	return out;
}

static void silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* 0 valid, >0 invalid, -1 schema unavailable (the test is skipped). */
static int validate(const char *xml)
{
	const char *conf = getenv("LLMTRAIL_CONFORMANCE");
	if (conf == NULL)
		return -1;
	char xsd[4096];
	snprintf(xsd, sizeof xsd, "%s/junit/JUnit.xsd", conf);
	FILE *f = fopen(xsd, "rb");
	if (f == NULL)
		return -1;
	fclose(f);
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(xsd);
	xmlSchemaPtr schema = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	assert_non_null(schema);
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "junit.xml", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
	int rc = xmlSchemaValidateDoc(vc, doc);
	if (rc != 0) { /* show why, then fail */
		xmlSchemaSetValidErrors(vc, NULL, NULL, NULL);
		fprintf(stdout, "# schema validation failed: %d\n", rc);
	}
	xmlSchemaFreeValidCtxt(vc);
	xmlFreeDoc(doc);
	xmlSchemaFree(schema);
	return rc;
}

static void junit__plain__valid_against_schema(void **state)
{
	(void)state;
	report *r = fixture_plain();
	char *out = render(r);
	int rc = validate(out);
	free(out);
	report_free(r);
	assert_int_equal(rc, 0);
}

static void junit__hostile__well_formed_and_valid(void **state)
{
	(void)state;
	report *r = fixture_hostile();
	char *out = render(r);
	/* no character illegal in XML 1.0 */
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		assert_true(*p >= 0x20 || *p == '\n' || *p == '\t');
	assert_null(strstr(out, "\xEF\xBF\xBE"));
	assert_null(strstr(out, "\xE2\x80\xAE"));
	xmlSetGenericErrorFunc(NULL, silent);
	xmlDocPtr doc = xmlReadMemory(out, (int)strlen(out), "junit.xml", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	xmlFreeDoc(doc);
	assert_non_null(strstr(out, "&lt;script&gt;document.title=&apos;pwned&apos;&lt;/script&gt;"));
	assert_non_null(strstr(out, "nul\\x00ctl\\x01\\x1B[31m"));
	assert_non_null(strstr(out, "evil\\u202Etxt.exe\\u2066iso\\u2069"));
	assert_non_null(strstr(out, "bad\\xFF\\xFE\\xC0\\xAFutf8"));
	assert_non_null(strstr(out, "]]&gt;&lt;!-- --&gt;&amp;amp;&amp;#x3C;"));
	int rc = validate(out);
	free(out);
	report_free(r);
	assert_int_equal(rc, 0);
}

static void junit__suites__counts_per_pack_evidence_integrity(void **state)
{
	(void)state;
	report *r = fixture_plain();
	char *out = render(r);
	assert_true(strncmp(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", 52) == 0);
	assert_non_null(strstr(out, "<testsuite name=\"rules.core\" package=\"llmtrail.rules.core\" id=\"0\" "
	                            "timestamp=\"2024-05-01T12:00:00\" hostname=\"localhost\" tests=\"4\" "
	                            "failures=\"2\" errors=\"0\" skipped=\"0\" time=\"0\">"));
	assert_non_null(strstr(out, "<testsuite name=\"rules.extra\" package=\"llmtrail.rules.extra\" id=\"1\" "
	                            "timestamp=\"2024-05-01T12:00:00\" hostname=\"localhost\" tests=\"3\" "
	                            "failures=\"0\" errors=\"1\" skipped=\"2\" time=\"0\">"));
	assert_non_null(strstr(out, "<testsuite name=\"evidence\" package=\"llmtrail.evidence\" id=\"2\" "
	                            "timestamp=\"2024-05-01T12:00:00\" hostname=\"localhost\" tests=\"2\" "
	                            "failures=\"1\" errors=\"0\" skipped=\"0\" time=\"0\">"));
	assert_non_null(strstr(out, "<testsuite name=\"integrity\" package=\"llmtrail.integrity\" id=\"3\" "
	                            "timestamp=\"2024-05-01T12:00:00\" hostname=\"localhost\" tests=\"3\" "
	                            "failures=\"1\" errors=\"0\" skipped=\"1\" time=\"0\">"));
	assert_int_equal(fixture_count(out, "<system-out>"), 4);
	assert_int_equal(fixture_count(out, "<system-err></system-err>"), 4);
	free(out);
	report_free(r);
}

static void junit__testcases__failure_skipped_error_bodies(void **state)
{
	(void)state;
	report *r = fixture_plain();
	char *out = render(r);
	assert_non_null(strstr(out, "<testcase classname=\"llmtrail.rules.core\" name=\"aws-key-in-prompt: "
	                            "AWS access key in a prompt\" time=\"0\">\n      <failure type=\"high\" "
	                            "message=\"1 finding: principal=arn:aws:iam::111122223333:user/bob\">"
	                            "AWS access key in a prompt\nA prompt sent to a model contains an AWS "
	                            "access key.\nRotate it.\n- 2024-05-01T09:00:00Z .. 2024-05-01T09:02:00Z  "
	                            "3 events  principal=arn:aws:iam::111122223333:user/bob\n"));
	assert_non_null(strstr(out, "      prompt: please deploy with key AKIA\xE2\x80\xA6(20 chars) and secret\n"));
	assert_null(strstr(out, "AKIAIOSFODNN7EXAMPLE"));
	assert_non_null(strstr(out, "<skipped message=\"not applicable: no knowledge-base data events in the case\"/>"));
	assert_non_null(strstr(out, "<skipped message=\"unsupported: modifier &apos;fieldref|base64&apos; is not supported\"/>"));
	assert_non_null(strstr(out, "<error type=\"rule error\" message=\"condition references unknown selection "
	                            "&apos;sel2&apos;\">rules/extra/broken.yml:7: condition references unknown "
	                            "selection &apos;sel2&apos;</error>"));
	assert_non_null(strstr(out, "<testcase classname=\"llmtrail.rules.core\" name=\"quiet-rule: Passes\" time=\"0\"/>"));
	assert_non_null(strstr(out, "<system-out>low: 1 finding(s) below the fail level: model-listing\n</system-out>"));
	assert_non_null(strstr(out, "<property name=\"rulepack.sha256\" value=\"ab12cd34\"/>"));
	assert_non_null(strstr(out, "<property name=\"llmtrail.version\" value=\"0.1.0\"/>"));
	assert_non_null(strstr(out, "<property name=\"sha256:evidence.tar.gz\" value=\"0f343b09"));
	assert_non_null(strstr(out, "<failure type=\"evidence problem\" message=\"1 problem(s)\">warning: line 42: "
	                            "unterminated string at byte 17\n</failure>"));
	assert_non_null(strstr(out, "<failure type=\"invalid\" message=\"hash differs from digest\">"));
	assert_non_null(strstr(out, "<skipped message=\"unverifiable: no digest covers it\"/>"));
	free(out);
	report_free(r);
}

static void junit__duplicate_ids__names_made_unique(void **state)
{
	(void)state;
	rpt_options o;
	rpt_options_default(&o);
	o.fail_on = RPT_LEVEL_NONE;
	report *r = report_new(&o);
	rpt_rule_in ri;
	memset(&ri, 0, sizeof ri);
	ri.pack = "p";
	ri.id = "dup";
	ri.level = RPT_LEVEL_CRITICAL;
	size_t a;
	assert_int_equal(report_add_rule(r, &ri, &a, NULL), LT_OK);
	assert_int_equal(report_add_rule(r, &ri, NULL, NULL), LT_OK);
	rpt_event_in e;
	rpt_event_init(&e);
	e.time_us = FIXTURE_RUN_US;
	assert_int_equal(report_add_hit(r, a, NULL, 0, &e, NULL, 0, NULL), LT_OK);
	char *out = render(r);
	assert_non_null(strstr(out, "<testcase classname=\"llmtrail.rules.p\" name=\"dup\" time=\"0\"/>"));
	assert_non_null(strstr(out, "<testcase classname=\"llmtrail.rules.p\" name=\"dup (2)\" time=\"0\"/>"));
	assert_null(strstr(out, "<failure")); /* fail_on none: fired but passing */
	assert_non_null(strstr(out, "critical: 1 finding(s) below the fail level: dup"));
	int rc = validate(out);
	free(out);
	report_free(r);
	assert_int_equal(rc, 0);
}

static void junit__empty_report__valid(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	char *out = render(r);
	assert_non_null(strstr(out, "tests=\"0\""));
	int rc = validate(out);
	free(out);
	report_free(r);
	assert_int_equal(rc, 0);
}

static void junit__same_model__same_bytes(void **state)
{
	(void)state;
	report *r1 = fixture_hostile(), *r2 = fixture_hostile();
	char *a = render(r1), *b = render(r2);
	assert_string_equal(a, b);
	free(a);
	free(b);
	report_free(r1);
	report_free(r2);
}

static void junit__random_strings__well_formed_and_valid(void **state)
{
	(void)state;
	xmlSetGenericErrorFunc(NULL, silent);
	for (uint32_t seed = 1; seed <= 40; seed++) {
		report *r = fixture_random(seed);
		assert_non_null(r);
		char *out = render(r);
		for (const unsigned char *p = (const unsigned char *)out; *p; p++)
			assert_true(*p >= 0x20 || *p == '\n' || *p == '\t');
		xmlDocPtr doc = xmlReadMemory(out, (int)strlen(out), "junit.xml", NULL, XML_PARSE_NONET);
		assert_non_null(doc);
		xmlFreeDoc(doc);
		assert_int_equal(validate(out), 0);
		free(out);
		report_free(r);
	}
}

/* The validator is live: a report with one required element removed fails. */
static void junit__schema__rejects_a_broken_report(void **state)
{
	(void)state;
	report *r = fixture_plain();
	char *out = render(r);
	char *cut = strstr(out, "<system-err></system-err>");
	assert_non_null(cut);
	memmove(cut, cut + 25, strlen(cut + 25) + 1);
	xmlSetGenericErrorFunc(NULL, silent);
	xmlSetStructuredErrorFunc(NULL, NULL);
	assert_true(validate(out) > 0);
	free(out);
	report_free(r);
}

static bool have_schema(void)
{
	const char *conf = getenv("LLMTRAIL_CONFORMANCE");
	char xsd[4096];
	snprintf(xsd, sizeof xsd, "%s/junit/JUnit.xsd", conf ? conf : "");
	FILE *f = conf ? fopen(xsd, "rb") : NULL;
	if (f != NULL)
		fclose(f);
	return f != NULL;
}

/* Without the schema: the same plan, the first nrun cases run one by one
 * (cmocka's plain output goes to the log as TAP comments would), the rest
 * are SKIP results naming why. Returns nonzero if a case that ran failed. */
static int run_without_schema(const struct CMUnitTest *tests, size_t n, size_t nrun, const char *why)
{
	printf("1..%zu\n", n);
	fflush(stdout);
	setenv("CMOCKA_MESSAGE_OUTPUT", "STDOUT", 1); /* it overrides cmocka_set_message_output */
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		if (i >= nrun) {
			printf("ok %zu - %s # SKIP %s\n", i + 1, tests[i].name, why);
			continue;
		}
		int rc = _cmocka_run_group_tests(tests[i].name, &tests[i], 1, NULL, NULL);
		fflush(stdout);
		printf("%s %zu - %s\n", rc ? "not ok" : "ok", i + 1, tests[i].name);
		failed |= rc != 0;
	}
	return failed;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(junit__suites__counts_per_pack_evidence_integrity),
		cmocka_unit_test(junit__testcases__failure_skipped_error_bodies),
		cmocka_unit_test(junit__same_model__same_bytes),
		/* the schema cases come last: SKIP results when the schema is absent */
		cmocka_unit_test(junit__plain__valid_against_schema),
		cmocka_unit_test(junit__hostile__well_formed_and_valid),
		cmocka_unit_test(junit__duplicate_ids__names_made_unique),
		cmocka_unit_test(junit__empty_report__valid),
		cmocka_unit_test(junit__schema__rejects_a_broken_report),
		cmocka_unit_test(junit__random_strings__well_formed_and_valid),
	};
	size_t n = sizeof tests / sizeof tests[0];
	int rc = have_schema() ? _cmocka_run_group_tests("junit", tests, n, NULL, NULL)
	                       : run_without_schema(tests, n, 3,
	                                            "conformance suite not available: "
	                                            "$LLMTRAIL_CONFORMANCE/junit/JUnit.xsd");
	xmlCleanupParser();
	return rc;
}
