/*
 * test_sigma.c — the Sigma engine, case by case from the specification text
 * (sigma-rules-specification.md, sigma-appendix-modifiers.md,
 * sigma-filters-specification.md). Each case is a rule, an event and the
 * expected outcome; conditions are also checked by their parse tree. The
 * sigma_detect__ cases check the two stages of matching apart (detection on
 * other threads, stored results applied in order) against ruleset_match.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/sigma/sigma.h"
#include "analyzers/sigma/sigma_ac.h"
#include "analyzers/sigma/sigma_cond.h"
#include "analyzers/sigma/sigma_corr.h"
#include "analyzers/sigma/sigma_ext.h"
#include "analyzers/sigma/sigma_value.h"
#include "common/arena.h"
#include "ingest/json.h"

typedef struct result {
	int hits;
	int errors;
	sigma_span span;   /* its pointers die with the ruleset: use field below */
	char field[128];   /* span.field, copied */
	size_t nspans;
} result;

static int on_hit(void *ctx, const sigma_hit *h)
{
	result *r = ctx;
	if (h->error) {
		r->errors++;
		return 0;
	}
	r->hits++;
	r->nspans = h->nspans;
	if (h->nspans) {
		r->span = h->spans[0];
		snprintf(r->field, sizeof r->field, "%s", h->spans[0].field);
	}
	return 0;
}

/* Rule `detection` body (YAML, indented 4) against a CloudTrail event. */
static result run_ev(const char *detection, const char *json, ev_source src)
{
	char rule[8192];
	snprintf(rule, sizeof rule,
	         "title: t\nid: r1\nlogsource:\n    product: aws\n    service: %s\ndetection:\n%s\n",
	         src == EV_SRC_INVOCATION ? "bedrock_invocation" : "cloudtrail", detection);
	sigma_ruleset *rs = ruleset_new();
	assert_non_null(rs);
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(ruleset_load_text(rs, "t.yml", rule, strlen(rule), &err), LT_OK);
	assert_int_equal(ruleset_compile(rs, &err), LT_OK);
	const sigma_rule *r = ruleset_rule(rs, 0);
	if (sigma_rule_state(r) != SIGMA_LOADED)
		fail_msg("rule not loaded: %s (%s)", sigma_rule_reason(r), detection);
	arena *a = arena_new(0, 0);
	json_value *doc;
	assert_int_equal(json_parse(a, json, strlen(json), NULL, &doc, NULL, &err), LT_OK);
	event ev;
	memset(&ev, 0, sizeof ev);
	ev.source = src;
	ev.doc = doc;
	result res = {0, 0, {0}, "", 0};
	assert_int_equal(ruleset_match(rs, &ev, on_hit, &res), LT_OK);
	arena_free(a);
	ruleset_free(rs);
	return res;
}

static int matches(const char *detection, const char *json)
{
	return run_ev(detection, json, EV_SRC_CLOUDTRAIL).hits;
}

/* State and reason of a rule that should not load. */
static sigma_state state_of(const char *text, char *reason, size_t n)
{
	sigma_ruleset *rs = ruleset_new();
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(ruleset_load_text(rs, "bad.yml", text, strlen(text), &err), LT_OK);
	assert_int_equal(ruleset_compile(rs, &err), LT_OK);
	const sigma_rule *r = ruleset_rule(rs, 0);
	sigma_state st = sigma_rule_state(r);
	snprintf(reason, n, "%s", sigma_rule_reason(r));
	ruleset_free(rs);
	return st;
}

#define EV "{\"eventName\":\"InvokeModel\",\"userAgent\":\"Boto3/1.2 Python\",\"n\":42," \
           "\"sourceIPAddress\":\"10.1.2.3\",\"v6\":\"2001:db8::1\",\"flag\":true,\"nul\":null," \
           "\"userIdentity\":{\"arn\":\"arn:aws:iam::1:user/Alice\",\"sessionContext\":{" \
           "\"sessionIssuer\":{\"arn\":\"arn:aws:iam::1:role/Admin\"}}}," \
           "\"resources\":[{\"ARN\":\"arn:a\"},{\"ARN\":\"arn:bucket/secret\"}]," \
           "\"cmd\":\"cmd.exe /c whoami -all\",\"other\":\"InvokeModel\"," \
           "\"text\":\"a*b?c\\\\d\",\"b64\":\"xxSGVsbG8gd29ybGQ=yy\"," \
           "\"b64o\":\"aGVsbG8gd29ybGQ=\",\"w\":\"c\\u0000m\\u0000d\\u0000\"}"

static void sigma__plain_value__case_insensitive_exact(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        eventName: invokemodel\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        eventName: Invoke\n    condition: sel", EV), 0);
}

static void sigma__wildcards__star_and_question(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        eventName: 'Inv*Mod?l'\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        eventName: 'Inv?Model'\n    condition: sel", EV), 0);
	assert_int_equal(matches("    sel:\n        eventName: '*'\n    condition: sel", EV), 1);
}

static void sigma__escapes__literal_star_question_backslash(void **s)
{
	(void)s;
	/* value in event: a*b?c\d */
	assert_int_equal(matches("    sel:\n        text: 'a\\*b\\?c\\d'\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        text: 'a\\*b\\?c\\\\d'\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        text: 'a\\*x\\?c\\d'\n    condition: sel", EV), 0);
}

static void sigma__list__or_and_all(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        eventName:\n            - Foo\n            - InvokeModel\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        cmd|contains|all:\n            - whoami\n            - '/c'\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        cmd|contains|all:\n            - whoami\n            - nope\n    condition: sel", EV), 0);
}

static void sigma__map__fields_and(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        eventName: InvokeModel\n        n: 42\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        eventName: InvokeModel\n        n: 43\n    condition: sel", EV), 0);
	assert_int_equal(matches("    sel:\n        - eventName: Nope\n        - n: 42\n    condition: sel", EV), 1);
}

static void sigma__contains_startswith_endswith__positions(void **s)
{
	(void)s;
	result r = run_ev("    sel:\n        userAgent|contains: PYTHON\n    condition: sel", EV, EV_SRC_CLOUDTRAIL);
	assert_int_equal(r.hits, 1);
	assert_string_equal(r.field, "userAgent");
	assert_int_equal(r.span.start, 10);
	assert_int_equal(r.span.end, 16);
	assert_int_equal(matches("    sel:\n        userAgent|startswith: boto3\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        userAgent|endswith: boto3\n    condition: sel", EV), 0);
	r = run_ev("    sel:\n        userAgent|endswith: python\n    condition: sel", EV, EV_SRC_CLOUDTRAIL);
	assert_int_equal(r.span.start, 10);
}

static void sigma__dotted_path_and_arrays__any_element(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        userIdentity.sessionContext.sessionIssuer.arn|endswith: role/Admin\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        resources.ARN|contains: secret\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        resources.ARN: arn:c\n    condition: sel", EV), 0);
}

static void sigma__exists__true_and_false(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        userAgent|exists: true\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        missing|exists: true\n    condition: sel", EV), 0);
	assert_int_equal(matches("    sel:\n        missing|exists: false\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        nul|exists: true\n    condition: sel", EV), 1);
}

static void sigma__null__absent_or_null(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        nul: null\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        missing: null\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        eventName: null\n    condition: sel", EV), 0);
	assert_int_equal(matches("    sel:\n        eventName: ''\n    condition: sel", EV), 0);
}

static void sigma__cased__case_sensitive(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        eventName|cased: InvokeModel\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        eventName|cased: invokemodel\n    condition: sel", EV), 0);
	assert_int_equal(matches("    sel:\n        userAgent|contains|cased: Python\n    condition: sel", EV), 1);
}

static void sigma__neq__differs(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        eventName|neq: Converse\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        eventName|neq: invokemodel\n    condition: sel", EV), 0);
	assert_int_equal(matches("    sel:\n        missing|neq: x\n    condition: sel", EV), 0);
}

static void sigma__re__flags_and_default_case(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        eventName|re: '^Invoke(Model|Agent)$'\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        eventName|re: '^invokemodel$'\n    condition: sel", EV), 0);
	assert_int_equal(matches("    sel:\n        eventName|re|i: '^invokemodel$'\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        ml|re|m: '^two$'\n    condition: sel", "{\"ml\":\"one\\ntwo\"}"), 1);
	assert_int_equal(matches("    sel:\n        ml|re: '^two$'\n    condition: sel", "{\"ml\":\"one\\ntwo\"}"), 0);
	assert_int_equal(matches("    sel:\n        ml|re|s: 'one.two'\n    condition: sel", "{\"ml\":\"one\\ntwo\"}"), 1);
	assert_int_equal(matches("    sel:\n        ml|re: 'one.two'\n    condition: sel", "{\"ml\":\"one\\ntwo\"}"), 0);
}

static void sigma__re__catastrophic_is_an_error_not_a_hang(void **s)
{
	(void)s;
	char json[200];
	snprintf(json, sizeof json, "{\"x\":\"%s!\"}", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	result r = run_ev("    sel:\n        x|re: '^(a|aa)+$'\n    condition: sel", json, EV_SRC_CLOUDTRAIL);
	assert_int_equal(r.hits, 0);
	assert_int_equal(r.errors, 1);
}

static void sigma__windash__all_dash_forms(void **s)
{
	(void)s;
	const char *d = "    sel:\n        cmd|windash|contains: ' /all'\n    condition: sel";
	assert_int_equal(matches(d, EV), 1); /* event has "-all" */
	assert_int_equal(matches(d, "{\"cmd\":\"whoami \\u2013all\"}"), 1);
	assert_int_equal(matches(d, "{\"cmd\":\"whoami \\u2014all\"}"), 1);
	assert_int_equal(matches(d, "{\"cmd\":\"whoami \\u2015all\"}"), 1);
	assert_int_equal(matches(d, "{\"cmd\":\"whoami +all\"}"), 0);
}

static void sigma__base64__and_offsets(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        b64|base64|contains: Hello world\n    condition: sel", EV), 1);
	/* "hello world" base64 at offsets 0,1,2 inside larger plaintexts */
	assert_int_equal(matches("    sel:\n        b64o|base64offset|contains: hello world\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        x|base64offset|contains: hello world\n    condition: sel", "{\"x\":\"eGhlbGxvIHdvcmxk\"}"), 1);
	assert_int_equal(matches("    sel:\n        x|base64offset|contains: hello world\n    condition: sel", "{\"x\":\"eHhoZWxsbyB3b3JsZA==\"}"), 1);
	assert_int_equal(matches("    sel:\n        x|base64offset|contains: hello world\n    condition: sel", "{\"x\":\"aGVsbG8gbW9vbg==\"}"), 0);
}

static void sigma__utf16__encodings(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        w|wide: cmd\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        w|utf16le: cmd\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        w|utf16be|contains: cmd\n    condition: sel", EV), 0);
	assert_int_equal(matches("    sel:\n        w|utf16be|contains: md\n    condition: sel", EV), 1); /* 00 6d 00 64 */
	assert_int_equal(matches("    sel:\n        w|utf16: cmd\n    condition: sel", "{\"w\":\"\\u00ff\\u00fec\\u0000\"}"), 0);
}

static void sigma__cidr__ipv4_and_ipv6(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        sourceIPAddress|cidr: 10.0.0.0/8\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        sourceIPAddress|cidr: 10.1.3.0/24\n    condition: sel", EV), 0);
	assert_int_equal(matches("    sel:\n        v6|cidr: '2001:db8::/32'\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        v6|cidr: '2001:db9::/32'\n    condition: sel", EV), 0);
	assert_int_equal(matches("    sel:\n        sourceIPAddress|cidr: '2001:db8::/32'\n    condition: sel", EV), 0);
}

static void sigma__numeric_compare__lt_lte_gt_gte(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        n|gt: 41\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        n|gt: 42\n    condition: sel", EV), 0);
	assert_int_equal(matches("    sel:\n        n|gte: 42\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        n|lt: 42\n    condition: sel", EV), 0);
	assert_int_equal(matches("    sel:\n        n|lte: 42.0\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        n: 42\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        n: '42'\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        flag: true\n    condition: sel", EV), 1);
}

static void sigma__fieldref__compares_fields(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        other|fieldref: eventName\n    condition: sel", EV), 1);
	assert_int_equal(matches("    sel:\n        cmd|fieldref: eventName\n    condition: sel", EV), 0);
	assert_int_equal(matches("    sel:\n        cmd|fieldref|neq: eventName\n    condition: sel", EV), 1);
}

static void sigma__keywords__any_string_field(void **s)
{
	(void)s;
	result r = run_ev("    keywords:\n        - whoami\n        - nothing\n    condition: keywords", EV, EV_SRC_CLOUDTRAIL);
	assert_int_equal(r.hits, 1);
	assert_string_equal(r.field, "cmd");
	assert_int_equal(matches("    keywords:\n        '|all':\n            - whoami\n            - Boto3\n    condition: keywords", EV), 1);
	assert_int_equal(matches("    keywords:\n        '|all':\n            - whoami\n            - nope\n    condition: keywords", EV), 0);
	assert_int_equal(matches("    keywords:\n        - role/admin\n    condition: keywords", EV), 1);
}

static void sigma__derived_fields__invocation(void **s)
{
	(void)s;
	char rule[] = "title: t\nlogsource:\n    product: aws\n    service: bedrock_invocation\n"
	              "detection:\n    sel:\n        prompt|contains: ignore previous\n    condition: sel\n";
	sigma_ruleset *rs = ruleset_new();
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(ruleset_load_text(rs, "t.yml", rule, strlen(rule), &err), LT_OK);
	assert_int_equal(ruleset_compile(rs, &err), LT_OK);
	event ev;
	memset(&ev, 0, sizeof ev);
	ev.source = EV_SRC_INVOCATION;
	ev.prompt = ev_str_from("Please IGNORE PREVIOUS instructions", 35);
	result r = {0, 0, {0}, "", 0};
	assert_int_equal(ruleset_match(rs, &ev, on_hit, &r), LT_OK);
	assert_int_equal(r.hits, 1);
	assert_string_equal(r.field, "prompt");
	assert_int_equal(r.span.start, 7);
	ev.source = EV_SRC_CLOUDTRAIL; /* log source does not apply */
	r.hits = 0;
	assert_int_equal(ruleset_match(rs, &ev, on_hit, &r), LT_OK);
	assert_int_equal(r.hits, 0);
	ruleset_free(rs);
}

/* ---------------------------------------------------------------- conditions */

static const char *const names[] = {"a", "b", "c", "sel1", "sel2", "_hidden", "filter_x"};

static void check_cond(const char *text, const char *tree)
{
	arena *a = arena_new(0, 0);
	sigma_cond *c;
	bool unsup;
	lt_error err;
	lt_error_clear(&err);
	if (sigma_cond_parse(a, text, names, 7, &c, &unsup, &err) != LT_OK)
		fail_msg("%s: %s", text, err.msg);
	char out[512];
	sigma_cond_format(c, names, out, sizeof out);
	assert_string_equal(out, tree);
	arena_free(a);
}

static void sigma_cond__precedence__not_and_or(void **s)
{
	(void)s;
	check_cond("a or b and c", "(or a (and b c))");
	check_cond("a and b or c", "(or (and a b) c)");
	check_cond("not a and b", "(and (not a) b)");
	check_cond("not a or not b and c", "(or (not a) (and (not b) c))");
	check_cond("a and (b or c)", "(and a (or b c))");
	check_cond("not (a or b)", "(not (or a b))");
	check_cond("a AND NOT b", "(and a (not b))");
	check_cond("((a))", "a");
}

static void sigma_cond__of__patterns_and_them(void **s)
{
	(void)s;
	check_cond("1 of sel*", "(1of sel1 sel2)");
	check_cond("all of sel*", "(allof sel1 sel2)");
	check_cond("1 of them", "(1of a b c sel1 sel2 filter_x)"); /* _hidden excluded */
	check_cond("all of sel* and not 1 of filter*", "(and (allof sel1 sel2) (not (1of filter_x)))");
	check_cond("1 of _h*", "(1of _hidden)");
}

static int truth[7];
static bool sel_truth(void *ctx, uint32_t i)
{
	(void)ctx;
	return truth[i] != 0;
}

static void sigma_cond__eval__hand_worked(void **s)
{
	(void)s;
	arena *a = arena_new(0, 0);
	sigma_cond *c;
	bool unsup;
	lt_error err;
	/* a or b and c with a=0,b=1,c=0 -> 0 or (1 and 0) = 0 */
	assert_int_equal(sigma_cond_parse(a, "a or b and c", names, 7, &c, &unsup, &err), LT_OK);
	truth[0] = 0, truth[1] = 1, truth[2] = 0;
	assert_false(sigma_cond_eval(c, sel_truth, NULL));
	truth[0] = 1; /* 1 or ... = 1 */
	assert_true(sigma_cond_eval(c, sel_truth, NULL));
	/* not a and b: a=0,b=1 -> 1; a=1 -> 0 */
	assert_int_equal(sigma_cond_parse(a, "not a and b", names, 7, &c, &unsup, &err), LT_OK);
	truth[0] = 0;
	assert_true(sigma_cond_eval(c, sel_truth, NULL));
	truth[0] = 1;
	assert_false(sigma_cond_eval(c, sel_truth, NULL));
	/* all of sel* : sel1=1 sel2=0 -> 0; 1 of sel* -> 1 */
	truth[3] = 1, truth[4] = 0;
	assert_int_equal(sigma_cond_parse(a, "all of sel*", names, 7, &c, &unsup, &err), LT_OK);
	assert_false(sigma_cond_eval(c, sel_truth, NULL));
	assert_int_equal(sigma_cond_parse(a, "1 of sel*", names, 7, &c, &unsup, &err), LT_OK);
	assert_true(sigma_cond_eval(c, sel_truth, NULL));
	arena_free(a);
}

static void sigma_cond__errors__named_with_column(void **s)
{
	(void)s;
	arena *a = arena_new(0, 0);
	sigma_cond *c;
	bool unsup;
	lt_error err;
	static const char *const bad[] = {"a and", "(a or b", "a b", "x", "2 of sel*", "1 of zz*", ")", "not", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		lt_error_clear(&err);
		assert_int_not_equal(sigma_cond_parse(a, bad[i], names, 7, &c, &unsup, &err), LT_OK);
		assert_false(unsup);
		assert_true(strlen(err.msg) > 0);
	}
	lt_error_clear(&err);
	assert_int_not_equal(sigma_cond_parse(a, "a | count() > 5", names, 7, &c, &unsup, &err), LT_OK);
	assert_true(unsup);
	lt_error_clear(&err);
	assert_int_not_equal(sigma_cond_parse(a, "a and x", names, 7, &c, &unsup, &err), LT_OK);
	assert_non_null(strstr(err.msg, "column 7"));
	arena_free(a);
}

static void sigma__condition_list__ored(void **s)
{
	(void)s;
	assert_int_equal(matches("    a:\n        eventName: X\n    b:\n        n: 42\n    condition:\n        - a\n        - b", EV), 1);
}

/* ---------------------------------------------------------------- loading */

static void sigma__errors__file_line_reason(void **s)
{
	(void)s;
	char reason[400];
	assert_int_equal(state_of("title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    a|nosuch: x\n  condition: sel\n", reason, sizeof reason), SIGMA_UNSUPPORTED);
	assert_non_null(strstr(reason, "nosuch"));
	assert_int_equal(state_of("title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    a|re: '('\n  condition: sel\n", reason, sizeof reason), SIGMA_ERROR);
	assert_int_equal(state_of("title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    a: x\n  condition: nope\n", reason, sizeof reason), SIGMA_ERROR);
	assert_int_equal(state_of("title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    a: [x\n", reason, sizeof reason), SIGMA_ERROR);
	assert_int_equal(state_of("title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    a|hour: 3\n  condition: sel\n", reason, sizeof reason), SIGMA_UNSUPPORTED);
	assert_int_equal(state_of("title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n    a|expand: '%x%'\n  condition: sel\n", reason, sizeof reason), SIGMA_UNSUPPORTED);
	assert_int_equal(state_of("title: c\ncorrelation:\n  type: value_median\n  rules: [a]\n  timespan: 1h\n  condition: {gte: 3}\n", reason, sizeof reason), SIGMA_UNSUPPORTED);
	assert_non_null(strstr(reason, "correlation type is not supported"));
	assert_int_equal(state_of("just: a map\n", reason, sizeof reason), SIGMA_ERROR);
}

static void sigma__errors__others_still_run(void **s)
{
	(void)s;
	const char *text = "title: bad\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    a|re: '('\n  condition: sel\n"
	                   "---\ntitle: good\nid: g\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName: InvokeModel\n  condition: sel\n";
	sigma_ruleset *rs = ruleset_new();
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(ruleset_load_text(rs, "two.yml", text, strlen(text), &err), LT_OK);
	assert_int_equal(ruleset_compile(rs, &err), LT_OK);
	assert_int_equal(ruleset_count(rs), 2);
	assert_int_equal(sigma_rule_state(ruleset_rule(rs, 0)), SIGMA_ERROR);
	assert_int_equal(sigma_rule_err_line(ruleset_rule(rs, 0)), 5);
	assert_string_equal(sigma_rule_file(ruleset_rule(rs, 0)), "two.yml");
	assert_int_equal(sigma_rule_state(ruleset_rule(rs, 1)), SIGMA_LOADED);
	arena *a = arena_new(0, 0);
	json_value *doc;
	assert_int_equal(json_parse(a, EV, strlen(EV), NULL, &doc, NULL, &err), LT_OK);
	event ev;
	memset(&ev, 0, sizeof ev);
	ev.source = EV_SRC_CLOUDTRAIL;
	ev.doc = doc;
	result r = {0, 0, {0}, "", 0};
	assert_int_equal(ruleset_match(rs, &ev, on_hit, &r), LT_OK);
	assert_int_equal(r.hits, 1);
	arena_free(a);
	ruleset_free(rs);
}

static void sigma__collection_and_filter__applied(void **s)
{
	(void)s;
	const char *text =
	    "action: global\ntitle: g\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  condition: sel\n"
	    "---\nid: r1\ndetection:\n  sel:\n    eventName: InvokeModel\n"
	    "---\nid: r2\ndetection:\n  sel:\n    eventName: Converse\n"
	    "---\naction: reset\n---\ntitle: f\nlogsource: {product: aws, service: cloudtrail}\nfilter:\n  rules: [r1]\n  selection:\n    userIdentity.arn|endswith: Alice\n  condition: selection\n";
	sigma_ruleset *rs = ruleset_new();
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(ruleset_load_text(rs, "c.yml", text, strlen(text), &err), LT_OK);
	assert_int_equal(ruleset_compile(rs, &err), LT_OK);
	assert_int_equal(ruleset_count(rs), 3);
	assert_int_equal(sigma_rule_state(ruleset_find(rs, "r1")), SIGMA_LOADED);
	assert_string_equal(sigma_rule_title(ruleset_find(rs, "r2")), "g");
	assert_int_equal(sigma_rule_kind(ruleset_rule(rs, 2)), SIGMA_KIND_FILTER);
	arena *a = arena_new(0, 0);
	json_value *doc;
	assert_int_equal(json_parse(a, EV, strlen(EV), NULL, &doc, NULL, &err), LT_OK);
	event ev;
	memset(&ev, 0, sizeof ev);
	ev.source = EV_SRC_CLOUDTRAIL;
	ev.doc = doc;
	result r = {0, 0, {0}, "", 0};
	assert_int_equal(ruleset_match(rs, &ev, on_hit, &r), LT_OK);
	assert_int_equal(r.hits, 0); /* r1 matched but its filter excludes Alice */
	arena_free(a);
	ruleset_free(rs);
}

static int count_ids(void *ctx, uint32_t id, size_t end)
{
	(void)end;
	((int *)ctx)[id]++;
	return 0;
}

static void sigma_ac__overlaps__reported_case_insensitively(void **s)
{
	(void)s;
	sigma_ac *ac = sigma_ac_new();
	assert_int_equal(sigma_ac_add(ac, "he", 2, 1), LT_OK);
	assert_int_equal(sigma_ac_add(ac, "SHE", 3, 2), LT_OK);
	assert_int_equal(sigma_ac_add(ac, "his", 3, 3), LT_OK);
	assert_int_equal(sigma_ac_add(ac, "hers", 4, 4), LT_OK);
	assert_int_equal(sigma_ac_build(ac), LT_OK);
	int seen[5] = {0};
	sigma_ac_scan(ac, "USHERS", 6, count_ids, seen);
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2], 1);
	assert_int_equal(seen[3], 0);
	assert_int_equal(seen[4], 1);
	sigma_ac_free(ac);
}

static void sigma_re__required_literal__extracted(void **s)
{
	(void)s;
	char out[64];
	assert_int_equal(sigma_re_literal("^foo[0-9]+barbaz$", false, out, sizeof out), 6);
	assert_memory_equal(out, "barbaz", 6);
	assert_int_equal(sigma_re_literal("a|b", false, out, sizeof out), 0);
	assert_int_equal(sigma_re_literal("abcd?ef", false, out, sizeof out), 3);
	assert_int_equal(sigma_re_literal("x(abc)*yz", false, out, sizeof out), 2);
	assert_int_equal(sigma_re_literal("\\.exe\\b", false, out, sizeof out), 4);
	assert_memory_equal(out, ".exe", 4);
	/* caseless: k and s have non-ASCII case partners (U+212A, U+017F) */
	assert_int_equal(sigma_re_literal("token=ab", true, out, sizeof out), 5);
	assert_memory_equal(out, "en=ab", 5);
}

static void sigma__prefilter__rules_without_literals_still_run(void **s)
{
	(void)s;
	assert_int_equal(matches("    sel:\n        eventName: InvokeModel\n    f:\n        n: 1\n    condition: not f", EV), 1);
	assert_int_equal(matches("    sel:\n        x|re: '.*'\n    condition: not sel", EV), 1);
}

/* ---------------------------------------------------------------- sequences */

/* One correlation firing; at: index of the event whose ruleset_match call
 * reported it, -1 for ruleset_finish. */
typedef struct seqhit {
	char group[64];
	double value;
	size_t nevents;
	int64_t first_us, last_us;
	int at;
} seqhit;

typedef struct seqres {
	int corr_hits, plain_hits;
	char group[256];
	size_t nevents;
	double value;
	seqhit h[8];
	int nh, cur;
} seqres;

static int on_seq(void *ctx, const sigma_hit *h)
{
	seqres *r = ctx;
	if (h->error)
		return 0;
	if (h->corr) {
		r->corr_hits++;
		snprintf(r->group, sizeof r->group, "%s", h->corr->group);
		r->nevents = h->corr->nevents;
		r->value = h->corr->value;
		if (r->nh < 8) {
			seqhit *x = &r->h[r->nh++];
			snprintf(x->group, sizeof x->group, "%s", h->corr->group);
			x->value = h->corr->value;
			x->nevents = h->corr->nevents;
			x->first_us = h->corr->first_us;
			x->last_us = h->corr->last_us;
			x->at = r->cur;
			/* the window's events are in order, the last one completes it */
			assert_true(x->nevents > 0);
			assert_int_equal(h->corr->events[x->nevents - 1].time_us, x->last_us);
		}
	} else {
		r->plain_hits++;
	}
	return 0;
}

/* Runs rules over events given as "TIME JSON" lines (CloudTrail source),
 * TIME in units of unit_us; finish: end the replay with ruleset_finish. */
static seqres run_seq_ex(const char *rules, const char *const *lines, size_t n, int64_t unit_us,
                         bool finish)
{
	sigma_ruleset *rs = ruleset_new();
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(ruleset_load_text(rs, "seq.yml", rules, strlen(rules), &err), LT_OK);
	assert_int_equal(ruleset_compile(rs, &err), LT_OK);
	for (size_t i = 0; i < ruleset_count(rs); i++)
		if (sigma_rule_state(ruleset_rule(rs, i)) != SIGMA_LOADED)
			fail_msg("rule %zu: %s", i, sigma_rule_reason(ruleset_rule(rs, i)));
	arena *a = arena_new(0, 0);
	seqres res;
	memset(&res, 0, sizeof res);
	for (size_t i = 0; i < n; i++) {
		char *sp = strchr(lines[i], ' ');
		json_value *doc;
		assert_int_equal(json_parse(a, sp + 1, strlen(sp + 1), NULL, &doc, NULL, &err), LT_OK);
		event ev;
		memset(&ev, 0, sizeof ev);
		ev.source = EV_SRC_CLOUDTRAIL;
		ev.time_us = (int64_t)strtoll(lines[i], NULL, 10) * unit_us;
		ev.doc = doc;
		res.cur = (int)i;
		assert_int_equal(ruleset_match(rs, &ev, on_seq, &res), LT_OK);
	}
	res.cur = -1;
	if (finish) {
		assert_int_equal(ruleset_finish(rs, on_seq, &res), LT_OK);
		int before = res.corr_hits; /* a second finish has nothing left to close */
		assert_int_equal(ruleset_finish(rs, on_seq, &res), LT_OK);
		assert_int_equal(res.corr_hits, before);
	}
	arena_free(a);
	ruleset_free(rs);
	return res;
}

/* Runs rules over events given as "SECONDS JSON" lines (CloudTrail source). */
static seqres run_seq(const char *rules, const char *const *lines, size_t n)
{
	return run_seq_ex(rules, lines, n, 1000000, false);
}

#define BASE(name, sel) \
	"title: " name "\nname: " name "\nlogsource: {product: aws, service: cloudtrail}\n" \
	"detection:\n  s:\n    " sel "\n  condition: s\n"

static void sigma_corr__event_count__fires_once_per_burst(void **s)
{
	(void)s;
	const char *rules = "title: c\ncorrelation:\n  type: event_count\n  rules: [deny]\n"
	                    "  group-by: [user]\n  timespan: 10m\n  condition: {gte: 3}\n---\n"
	                    BASE("deny", "errorCode: AccessDenied");
	const char *ev[] = {
	    "0 {\"user\":\"a\",\"errorCode\":\"AccessDenied\"}",
	    "60 {\"user\":\"b\",\"errorCode\":\"AccessDenied\"}",
	    "120 {\"user\":\"a\",\"errorCode\":\"AccessDenied\"}",
	    "700 {\"user\":\"a\",\"errorCode\":\"AccessDenied\"}", /* first one fell out: 2 in window */
	    "720 {\"user\":\"a\",\"errorCode\":\"AccessDenied\"}", /* 120,700,720: fires */
	    "730 {\"user\":\"a\",\"errorCode\":\"AccessDenied\"}", /* state cleared: 1 */
	};
	seqres r = run_seq(rules, ev, 6);
	assert_int_equal(r.corr_hits, 1);
	assert_int_equal(r.plain_hits, 0); /* base rule reports only through the correlation */
	assert_string_equal(r.group, "user=a");
	assert_int_equal(r.nevents, 3);
}

static void sigma_corr__value_count__distinct_values(void **s)
{
	(void)s;
	const char *rules = "title: c\ncorrelation:\n  type: value_count\n  rules: [inv]\n"
	                    "  group-by: [key]\n  timespan: 1h\n  condition: {field: ip, gte: 3}\n---\n"
	                    BASE("inv", "eventName: InvokeModel");
	const char *ev[] = {
	    "0 {\"key\":\"k\",\"ip\":\"1.1.1.1\",\"eventName\":\"InvokeModel\"}",
	    "1 {\"key\":\"k\",\"ip\":\"1.1.1.1\",\"eventName\":\"InvokeModel\"}",
	    "2 {\"key\":\"k\",\"ip\":\"2.2.2.2\",\"eventName\":\"InvokeModel\"}",
	    "3 {\"key\":\"j\",\"ip\":\"3.3.3.3\",\"eventName\":\"InvokeModel\"}",
	    "4 {\"key\":\"k\",\"ip\":\"3.3.3.3\",\"eventName\":\"InvokeModel\"}",
	};
	seqres r = run_seq(rules, ev, 4);
	assert_int_equal(r.corr_hits, 0);
	r = run_seq(rules, ev, 5);
	assert_int_equal(r.corr_hits, 1);
	assert_true(r.value == 3.0);
}

static void sigma_corr__value_sum_and_avg(void **s)
{
	(void)s;
	const char *sum = "title: c\ncorrelation:\n  type: value_sum\n  rules: [inv]\n"
	                  "  group-by: [key]\n  timespan: 1h\n  condition: {field: tokens, gt: 100}\n---\n"
	                  BASE("inv", "eventName: InvokeModel");
	const char *avg = "title: c\ncorrelation:\n  type: value_avg\n  rules: [inv]\n"
	                  "  group-by: [key]\n  timespan: 1h\n  condition: {field: tokens, gte: 60}\n---\n"
	                  BASE("inv", "eventName: InvokeModel");
	const char *ev[] = {
	    "0 {\"key\":\"k\",\"tokens\":50,\"eventName\":\"InvokeModel\"}",
	    "1 {\"key\":\"k\",\"tokens\":50,\"eventName\":\"InvokeModel\"}",
	    "2 {\"key\":\"k\",\"tokens\":\"70\",\"eventName\":\"InvokeModel\"}",
	};
	assert_int_equal(run_seq(sum, ev, 2).corr_hits, 0);
	assert_int_equal(run_seq(sum, ev, 3).corr_hits, 1);
	assert_int_equal(run_seq(avg, ev, 2).corr_hits, 0);
	assert_int_equal(run_seq(avg, ev, 3).corr_hits, 0); /* 170/3 < 60 */
}

static void sigma_corr__temporal_ordered__order_and_window(void **s)
{
	(void)s;
	const char *rules = "title: c\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b]\n"
	                    "  group-by: [key]\n  timespan: 5m\n---\n"
	                    BASE("a", "eventName: ListFoundationModels") "---\n"
	                    BASE("b", "eventName: InvokeModel");
	const char *wrong_order[] = {
	    "0 {\"key\":\"k\",\"eventName\":\"InvokeModel\"}",
	    "10 {\"key\":\"k\",\"eventName\":\"ListFoundationModels\"}",
	};
	assert_int_equal(run_seq(rules, wrong_order, 2).corr_hits, 0);
	const char *too_late[] = {
	    "0 {\"key\":\"k\",\"eventName\":\"ListFoundationModels\"}",
	    "301 {\"key\":\"k\",\"eventName\":\"InvokeModel\"}",
	};
	assert_int_equal(run_seq(rules, too_late, 2).corr_hits, 0);
	const char *other_group[] = {
	    "0 {\"key\":\"k\",\"eventName\":\"ListFoundationModels\"}",
	    "10 {\"key\":\"j\",\"eventName\":\"InvokeModel\"}",
	};
	assert_int_equal(run_seq(rules, other_group, 2).corr_hits, 0);
	const char *good[] = {
	    "0 {\"key\":\"k\",\"eventName\":\"ListFoundationModels\"}",
	    "299 {\"key\":\"k\",\"eventName\":\"InvokeModel\"}",
	};
	assert_int_equal(run_seq(rules, good, 2).corr_hits, 1);
}

static void sigma_corr__temporal_and_aliases(void **s)
{
	(void)s;
	const char *rules = "title: c\ncorrelation:\n  type: temporal\n  rules: [a, b]\n"
	                    "  group-by: [bucket]\n  timespan: 1h\n"
	                    "  aliases:\n    bucket:\n      a: requestParameters.loggingBucket\n"
	                    "      b: requestParameters.bucketName\n---\n"
	                    BASE("a", "eventName: PutLogging") "---\n" BASE("b", "eventName: DeleteBucketPolicy");
	const char *ev[] = {
	    "0 {\"eventName\":\"DeleteBucketPolicy\",\"requestParameters\":{\"bucketName\":\"logs\"}}",
	    "10 {\"eventName\":\"PutLogging\",\"requestParameters\":{\"loggingBucket\":\"logs\"}}",
	};
	seqres r = run_seq(rules, ev, 2);
	assert_int_equal(r.corr_hits, 1); /* any order */
	assert_string_equal(r.group, "bucket=logs");
}


/* value_percentile, nearest rank: the 95th percentile of 1..k is the value of
 * rank ceil(0.95 k): 18 for k = 18 (rank 17.1 -> 18), 19 for k = 19. */
static void sigma_corr__value_percentile__nearest_rank_at_boundary(void **s)
{
	(void)s;
	const char *rules = "title: c\ncorrelation:\n  type: value_percentile\n  rules: [tok]\n"
	                    "  group-by: [user]\n  timespan: 1h\n  condition: {field: n, percentile: 95, gte: 19}\n---\n"
	                    BASE("tok", "eventName: Invoke");
	char lines[20][80];
	const char *ev[21];
	for (int i = 0; i < 20; i++) {
		snprintf(lines[i], sizeof lines[i], "%d {\"user\":\"a\",\"eventName\":\"Invoke\",\"n\":%d}", i, i + 1);
		ev[i] = lines[i];
	}
	seqres r = run_seq(rules, ev, 20);
	assert_int_equal(r.corr_hits, 2);
	assert_int_equal(r.h[0].at, 18); /* the 19th event, not the 18th */
	assert_true(r.h[0].value == 19.0);
	assert_int_equal(r.h[0].nevents, 19);
	assert_int_equal(r.h[1].at, 19); /* state cleared: the 20th alone ranks 20 */
	assert_true(r.h[1].value == 20.0);
	assert_int_equal(r.h[1].nevents, 1);
	/* median of 40 30 10 20 is 20 (rank 2 of 4), not the interpolated 25;
	 * a value that is no number is ignored */
	const char *rules2 = "title: c\ncorrelation:\n  type: value_percentile\n  rules: [tok]\n"
	                     "  group-by: [user]\n  timespan: 1h\n  condition: {field: n, percentile: 50, eq: 20}\n---\n"
	                     BASE("tok", "eventName: Invoke");
	const char *ev2[] = {
	    "0 {\"user\":\"a\",\"eventName\":\"Invoke\",\"n\":40}",
	    "1 {\"user\":\"a\",\"eventName\":\"Invoke\",\"n\":30}",
	    "2 {\"user\":\"a\",\"eventName\":\"Invoke\",\"n\":\"x\"}",
	    "3 {\"user\":\"a\",\"eventName\":\"Invoke\",\"n\":10}", /* 10 30 40: 30 */
	    "4 {\"user\":\"a\",\"eventName\":\"Invoke\",\"n\":20}", /* 10 20 30 40: 20 */
	};
	r = run_seq(rules2, ev2, 5);
	assert_int_equal(r.corr_hits, 1);
	assert_int_equal(r.h[0].at, 4);
	assert_true(r.h[0].value == 20.0);
	assert_int_equal(r.h[0].nevents, 4);
	/* the window slides: 100 at t=0 is out of the 10m window at t=601 */
	const char *rules3 = "title: c\ncorrelation:\n  type: value_percentile\n  rules: [tok]\n"
	                     "  timespan: 10m\n  condition: {field: n, percentile: 100, gt: 50, lt: 1000}\n---\n"
	                     BASE("tok", "eventName: Invoke");
	const char *ev3[] = {
	    "0 {\"eventName\":\"Invoke\",\"n\":1000}", /* above the range */
	    "601 {\"eventName\":\"Invoke\",\"n\":7}",  /* max 7 */
	    "602 {\"eventName\":\"Invoke\",\"n\":51}", /* max 51: fires */
	};
	r = run_seq(rules3, ev3, 3);
	assert_int_equal(r.corr_hits, 1);
	assert_int_equal(r.h[0].at, 2);
	assert_true(r.h[0].value == 51.0);
	assert_int_equal(r.h[0].nevents, 2);
	char reason[400];
	assert_int_equal(state_of("title: c\ncorrelation:\n  type: value_percentile\n  rules: [x]\n  timespan: 1h\n  condition: {field: n, gte: 3}\n", reason, sizeof reason), SIGMA_ERROR);
	assert_non_null(strstr(reason, "percentile"));
	assert_int_equal(state_of("title: c\ncorrelation:\n  type: value_percentile\n  rules: [x]\n  timespan: 1h\n  condition: {field: n, percentile: 101, gte: 3}\n", reason, sizeof reason), SIGMA_ERROR);
	assert_int_equal(state_of("title: c\ncorrelation:\n  type: event_count\n  rules: [x]\n  timespan: 1h\n  condition: {percentile: 50, gte: 3}\n", reason, sizeof reason), SIGMA_ERROR);
}

#define FEWER(span, bound) \
	"title: c\ncorrelation:\n  type: event_count\n  rules: [deny]\n  group-by: [user]\n" \
	"  timespan: " span "\n  condition: {" bound "}\n---\n" BASE("deny", "errorCode: AccessDenied")
#define DENY(t, u) t " {\"user\":\"" u "\",\"errorCode\":\"AccessDenied\"}"

/* event_count lt 3: a window [first, first + 10m] per group, evaluated when a
 * later event passes its end, and at the end of the replay. */
static void sigma_corr__fewer_than__fires_when_window_closes(void **s)
{
	(void)s;
	const char *ev[] = {
	    DENY("0", "a"),   /* a: [0, 600] */
	    DENY("100", "b"), /* b: [100, 700] */
	    DENY("200", "a"),
	    DENY("300", "b"),
	    DENY("400", "b"), /* b reaches 3: not fewer than 3 */
	    DENY("650", "c"), /* passes a's end: a closes with 2 -> fires; c: [650, 1250] */
	    DENY("1000", "c"), /* passes b's end: b closes with 3 -> nothing */
	};
	seqres r = run_seq_ex(FEWER("10m", "lt: 3"), ev, 7, 1000000, true);
	assert_int_equal(r.corr_hits, 2);
	assert_int_equal(r.plain_hits, 0);
	assert_string_equal(r.h[0].group, "user=a");
	assert_int_equal(r.h[0].at, 5); /* reported when the event at 650 s arrived */
	assert_true(r.h[0].value == 2.0);
	assert_int_equal(r.h[0].nevents, 2);
	assert_int_equal(r.h[0].first_us, 0);
	assert_int_equal(r.h[0].last_us, (int64_t)200 * 1000000);
	assert_string_equal(r.h[1].group, "user=c"); /* open at the end: closed by ruleset_finish */
	assert_int_equal(r.h[1].at, -1);
	assert_true(r.h[1].value == 2.0);
	assert_int_equal(r.h[1].last_us, (int64_t)1000 * 1000000);
	/* without ruleset_finish the open window of c never reports */
	r = run_seq_ex(FEWER("10m", "lt: 3"), ev, 7, 1000000, false);
	assert_int_equal(r.corr_hits, 1);
	/* lte 2 is the same bound; lt 2 fires for none of them (a and c have 2) */
	r = run_seq_ex(FEWER("10m", "lte: 2"), ev, 7, 1000000, true);
	assert_int_equal(r.corr_hits, 2);
	r = run_seq_ex(FEWER("10m", "lt: 2"), ev, 7, 1000000, true);
	assert_int_equal(r.corr_hits, 0);
}

/* Window edges (times in microseconds, timespan 10 s): an event exactly at
 * first + timespan is inside the window, one microsecond later is not. */
static void sigma_corr__fewer_than__window_edges(void **s)
{
	(void)s;
	const char *at_end[] = {
	    DENY("0", "a"),
	    DENY("10000000", "a"), /* inside: a has 2 */
	    DENY("10000001", "z"), /* closes a (2: no), opens z */
	};
	seqres r = run_seq_ex(FEWER("10s", "lt: 2"), at_end, 3, 1, true);
	assert_int_equal(r.corr_hits, 1);
	assert_string_equal(r.h[0].group, "user=z");
	assert_int_equal(r.h[0].at, -1);
	const char *over[] = {
	    DENY("0", "a"),
	    DENY("10000001", "a"), /* a's first window closed with 1 -> fires; a new one opens */
	};
	r = run_seq_ex(FEWER("10s", "lt: 2"), over, 2, 1, true);
	assert_int_equal(r.corr_hits, 2);
	assert_int_equal(r.h[0].at, 1);
	assert_int_equal(r.h[0].nevents, 1);
	assert_int_equal(r.h[0].last_us, 0);
	assert_int_equal(r.h[1].at, -1);
	assert_int_equal(r.h[1].first_us, 10000001);
	/* the window closes on any later event, even one no rule matches */
	const char *other[] = {
	    DENY("0", "a"),
	    "10000001 {\"user\":\"a\",\"eventName\":\"Nothing\"}",
	};
	r = run_seq_ex(FEWER("10s", "lt: 2"), other, 2, 1, false);
	assert_int_equal(r.corr_hits, 1);
	assert_int_equal(r.h[0].at, 1);
}

/* Other types with an upper bound only, and input out of time order (not
 * expected from a replay) runs without harm. */
static void sigma_corr__fewer_than__other_types_and_disorder(void **s)
{
	(void)s;
	const char *rules = "title: c\ncorrelation:\n  type: value_count\n  rules: [deny]\n  group-by: [user]\n"
	                    "  timespan: 1h\n  condition: {field: ip, lt: 2}\n---\n" BASE("deny", "errorCode: AccessDenied");
	const char *ev[] = {
	    "0 {\"user\":\"a\",\"ip\":\"1\",\"errorCode\":\"AccessDenied\"}",
	    "1 {\"user\":\"a\",\"ip\":\"1\",\"errorCode\":\"AccessDenied\"}",
	    "2 {\"user\":\"b\",\"ip\":\"1\",\"errorCode\":\"AccessDenied\"}",
	    "3 {\"user\":\"b\",\"ip\":\"2\",\"errorCode\":\"AccessDenied\"}",
	};
	seqres r = run_seq_ex(rules, ev, 4, 1000000, true);
	assert_int_equal(r.corr_hits, 1); /* a: one distinct ip */
	assert_string_equal(r.h[0].group, "user=a");
	assert_int_equal(r.h[0].nevents, 2);
	const char *ord[] = {
	    DENY("5000", "a"), DENY("0", "a"), DENY("-100", "b"), DENY("9000", "a"),
	    DENY("100", "b"), DENY("5000", "a"), DENY("4000", "c"), DENY("20000", "c"),
	};
	r = run_seq_ex(FEWER("10m", "lt: 5"), ord, 8, 1000000, true);
	assert_true(r.corr_hits >= 1 && r.corr_hits <= 8);
	for (int i = 0; i < r.nh; i++)
		assert_true(r.h[i].nevents >= 1 && r.h[i].nevents < 5);
	r = run_seq_ex("title: c\ncorrelation:\n  type: value_percentile\n  rules: [deny]\n  timespan: 10m\n"
	               "  condition: {field: n, percentile: 90, gte: 1}\n---\n" BASE("deny", "errorCode: AccessDenied"),
	               ord, 8, 1000000, true);
	assert_int_equal(r.corr_hits, 0); /* no numbers: nothing to rank */
}

static void sigma_corr__unsupported_and_errors__named(void **s)
{
	(void)s;
	char reason[400];
	/* "fewer than" now loads; a chain of correlations does not */
	assert_int_equal(state_of("title: c\ncorrelation:\n  type: event_count\n  rules: [x]\n  timespan: 1h\n  condition: {lt: 3}\n---\n" BASE("x", "a: b"), reason, sizeof reason), SIGMA_LOADED);
	assert_int_equal(state_of("title: c\ncorrelation:\n  type: event_count\n  rules: [d]\n  timespan: 1h\n  condition: {gte: 3}\n---\n"
	                          "title: d\nname: d\ncorrelation:\n  type: event_count\n  rules: [x]\n  timespan: 1h\n  condition: {gte: 3}\n---\n" BASE("x", "a: b"),
	                          reason, sizeof reason), SIGMA_UNSUPPORTED);
	assert_non_null(strstr(reason, "correlation of correlations"));
	assert_int_equal(state_of("title: c\ncorrelation:\n  type: event_count\n  rules: [x]\n  timespan: 1h\n  condition: {field: f}\n", reason, sizeof reason), SIGMA_ERROR);
	assert_non_null(strstr(reason, "needs a bound"));
	assert_int_equal(state_of("title: c\ncorrelation:\n  type: event_count\n  rules: [x]\n  timespan: 1 hour\n  condition: {gte: 3}\n", reason, sizeof reason), SIGMA_ERROR);
	assert_non_null(strstr(reason, "timespan"));
	assert_int_equal(state_of("title: c\ncorrelation:\n  type: event_count\n  rules: [nosuch]\n  timespan: 1h\n  condition: {gte: 3}\n", reason, sizeof reason), SIGMA_ERROR);
	assert_non_null(strstr(reason, "unknown rule"));
	assert_int_equal(sigma_corr_timespan("90m"), (int64_t)5400 * 1000000);
	assert_int_equal(sigma_corr_timespan("1w"), -1);
}

/* ---- what a fired correlation hands out ---------------------------------- */

/* The events of the last firing of group `want` (the first 8), copied. */
typedef struct corr_copy {
	int64_t time_us;
	ev_source source;
	uint32_t tie;
	uint64_t seq;
} corr_copy;

typedef struct corr_log {
	const char *want; /* group text to record */
	int fires;        /* firings of that group */
	size_t nevents;
	int64_t first_us, last_us;
	corr_copy ev[8];
	bool in_order; /* every firing's events oldest first */
	uint64_t fed;  /* events fed: the next one's seq - 1 */
} corr_log;

static int on_corr_log(void *ctx, const sigma_hit *h)
{
	corr_log *l = ctx;
	if (h->error || h->corr == NULL)
		return 0;
	const sigma_corr_fired *f = h->corr;
	for (size_t i = 1; i < f->nevents; i++)
		l->in_order = l->in_order && f->events[i - 1].time_us <= f->events[i].time_us;
	if (strcmp(f->group, l->want) != 0)
		return 0;
	l->fires++;
	l->nevents = f->nevents;
	l->first_us = f->first_us;
	l->last_us = f->last_us;
	for (size_t i = 0; i < f->nevents && i < 8; i++) {
		const sigma_corr_event *e = &f->events[i];
		corr_copy *c = &l->ev[i];
		*c = (corr_copy){e->time_us, e->source, e->tie, e->seq};
	}
	return 0;
}

/* One fed event: uid, provenance (NULL: none), group-by value and ip. */
typedef struct corr_in {
	int64_t t; /* seconds */
	const char *uid;
	const ev_provenance *prov;
	const char *user, *ip;
} corr_in;

static void feed_corr(sigma_ruleset *rs, const corr_in *in, uint64_t line, corr_log *l)
{
	char json[256];
	snprintf(json, sizeof json, "{\"user\":\"%s\",\"ip\":\"%s\",\"eventName\":\"InvokeModel\"}",
	         in->user, in->ip ? in->ip : "");
	arena *a = arena_new(0, 0);
	json_value *doc;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(json_parse(a, json, strlen(json), NULL, &doc, NULL, &err), LT_OK);
	event ev;
	memset(&ev, 0, sizeof ev);
	ev.source = EV_SRC_CLOUDTRAIL;
	ev.time_us = in->t * 1000000;
	ev.doc = doc;
	ev.uid = (ev_str){in->uid, strlen(in->uid)};
	ev.prov = in->prov;
	ev.line = line;
	ev.seq = ++l->fed;
	ev.tie = (uint32_t)(l->fed * 7 % 5); /* any value: it is handed back as fed */
	assert_int_equal(ruleset_match(rs, &ev, on_corr_log, l), LT_OK);
	arena_free(a);
}

static sigma_ruleset *corr_rules(const char *text)
{
	sigma_ruleset *rs = ruleset_new();
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(ruleset_load_text(rs, "corr.yml", text, strlen(text), &err), LT_OK);
	assert_int_equal(ruleset_compile(rs, &err), LT_OK);
	for (size_t i = 0; i < ruleset_count(rs); i++)
		assert_int_equal(sigma_rule_state(ruleset_rule(rs, i)), SIGMA_LOADED);
	return rs;
}

/* A window keeps where each event is (seq, source, time, tie), not what it
 * holds: any uid or provenance costs the same, and the places come back as fed. */
static void sigma_corr__handed_out_events__place_in_replay_as_fed(void **s)
{
	(void)s;
	sigma_ruleset *rs = corr_rules("title: c\ncorrelation:\n  type: event_count\n  rules: [inv]\n"
	                               "  group-by: [user]\n  timespan: 1h\n  condition: {gte: 8}\n---\n"
	                               BASE("inv", "eventName: InvokeModel"));
	ev_provenance p1 = {"ev1.json.gz", "", "", 0}, p2 = {"ev2.zip", "a/b.json.gz", "", 0};
	char long_uid[300];
	memset(long_uid, 'x', sizeof long_uid - 1);
	long_uid[sizeof long_uid - 1] = '\0';
	const corr_in in[8] = {
	    {0, "0f8fad5b-d9cb-469f-a165-70867728950e", &p1, "a", NULL},   /* UUID, lower case */
	    {1, "7C9E6679-7425-40DE-944B-E07FC1F90AE7", &p2, "a", NULL},   /* UUID, upper case */
	    {2, "7c9e6679-7425-40DE-944b-e07fc1f90ae7", &p1, "a", NULL},   /* mixed case: as given */
	    {3, "01234567-8901-2345-6789-012345678901", NULL, "a", NULL},  /* digits only, no provenance */
	    {4, "0f8fad5bd9cb469fa16570867728950e0000", &p2, "a", NULL},   /* 36 chars, not a UUID */
	    {5, "0f8fad5b-d9cb-469f-a165-70867728950g", &p1, "a", NULL},   /* not hex */
	    {6, "", &p2, "a", NULL},                                       /* empty */
	    {7, long_uid, &p1, "a", NULL},                                 /* cut to 256 bytes */
	};
	corr_log l;
	memset(&l, 0, sizeof l);
	l.want = "user=a";
	l.in_order = true;
	for (size_t i = 0; i < 8; i++)
		feed_corr(rs, &in[i], 100 + i, &l);
	assert_int_equal(l.fires, 1);
	assert_int_equal(l.nevents, 8);
	for (size_t i = 0; i < 8; i++) {
		const corr_copy *c = &l.ev[i];
		assert_int_equal(c->time_us, in[i].t * 1000000);
		assert_int_equal(c->source, EV_SRC_CLOUDTRAIL);
		assert_int_equal(c->seq, i + 1);
		assert_int_equal(c->tie, (i + 1) * 7 % 5);
	}
	ruleset_free(rs);
}

static void sigma_corr__value_count__distinct_values_over_a_long_sliding_window(void **s)
{
	(void)s;
	sigma_ruleset *rs = corr_rules("title: c\ncorrelation:\n  type: value_count\n  rules: [inv]\n"
	                               "  group-by: [user]\n  timespan: 100s\n  condition: {field: ip, gte: 3}\n---\n"
	                               BASE("inv", "eventName: InvokeModel"));
	corr_log l;
	memset(&l, 0, sizeof l);
	l.want = "user=a";
	l.in_order = true;
	char uid[64];
	for (int t = 0; t < 200; t++) { /* 200 events, one distinct value: never fires */
		snprintf(uid, sizeof uid, "u%d", t);
		feed_corr(rs, &(corr_in){t, uid, NULL, "a", t % 2 ? "1.1.1.1" : "1.1.1.1"}, 0, &l);
	}
	assert_int_equal(l.fires, 0);
	feed_corr(rs, &(corr_in){250, "b1", NULL, "a", "2.2.2.2"}, 0, &l); /* window [150, 250]: 2 */
	assert_int_equal(l.fires, 0);
	feed_corr(rs, &(corr_in){251, "c1", NULL, "a", "3.3.3.3"}, 0, &l); /* [151, 251]: 3 */
	assert_int_equal(l.fires, 1);
	assert_int_equal(l.nevents, 49 + 2); /* events 151..199, then b1 and c1 */
	assert_int_equal(l.first_us, 151 * 1000000LL);
	assert_int_equal(l.ev[0].seq, 152); /* u151, the 152nd fed */
	/* the group starts afresh: the values seen before do not count */
	feed_corr(rs, &(corr_in){260, "d1", NULL, "a", "2.2.2.2"}, 0, &l);
	feed_corr(rs, &(corr_in){261, "d2", NULL, "a", "3.3.3.3"}, 0, &l);
	assert_int_equal(l.fires, 1);
	feed_corr(rs, &(corr_in){262, "d3", NULL, "a", "1.1.1.1"}, 0, &l);
	assert_int_equal(l.fires, 2);
	assert_int_equal(l.nevents, 3);
	assert_int_equal(l.ev[0].seq, 203); /* d1: after 200, b1 and c1 */
	assert_true(l.in_order);
	ruleset_free(rs);
}

/* A sweep (every 4096 feeds) trims a quiet group's window and gives back
 * most of its ring; what is left still counts, in order. */
static void sigma_corr__sweep_trims_quiet_window__rest_kept_in_order(void **s)
{
	(void)s;
	sigma_ruleset *rs = corr_rules("title: c\ncorrelation:\n  type: event_count\n  rules: [inv]\n"
	                               "  group-by: [user]\n  timespan: 1000s\n  condition: {gte: 1100}\n---\n"
	                               BASE("inv", "eventName: InvokeModel"));
	corr_log l;
	memset(&l, 0, sizeof l);
	l.want = "user=a";
	l.in_order = true;
	char uid[64];
	for (int i = 0; i < 1000; i++) { /* a: t = 0..999 */
		snprintf(uid, sizeof uid, "%08x-0000-4000-8000-%012d", i, i);
		feed_corr(rs, &(corr_in){i, uid, NULL, "a", NULL}, (uint64_t)i, &l);
	}
	for (int i = 0; i < 3200; i++) /* b, at t = 1900: a sweep keeps a's 900..999 */
		feed_corr(rs, &(corr_in){1900, "b", NULL, "b", NULL}, 0, &l);
	assert_int_equal(l.fires, 0);
	for (int i = 0; i < 1000; i++) { /* a again: 100 + 1000 events in [900, 1900] */
		snprintf(uid, sizeof uid, "second-%d", i);
		feed_corr(rs, &(corr_in){1900, uid, NULL, "a", NULL}, 0, &l);
	}
	assert_int_equal(l.fires, 1);
	assert_int_equal(l.nevents, 1100);
	assert_int_equal(l.first_us, 900 * 1000000LL);
	assert_int_equal(l.ev[0].seq, 901); /* a at t = 900 */
	assert_int_equal(l.ev[0].time_us, 900 * 1000000LL);
	assert_int_equal(l.ev[7].seq, 908);
	assert_true(l.in_order);
	ruleset_free(rs);
}

static sigma_ruleset *corr_rules_budget(const char *text, size_t budget)
{
	sigma_ruleset *rs = ruleset_new();
	lt_error err;
	lt_error_clear(&err);
	ruleset_set_corr_budget(rs, budget);
	assert_int_equal(ruleset_load_text(rs, "corr.yml", text, strlen(text), &err), LT_OK);
	assert_int_equal(ruleset_compile(rs, &err), LT_OK);
	return rs;
}

static const sigma_rule *first_correlation(const sigma_ruleset *rs)
{
	for (size_t i = 0; i < ruleset_count(rs); i++)
		if (sigma_rule_kind(ruleset_rule(rs, i)) == SIGMA_KIND_CORRELATION)
			return ruleset_rule(rs, i);
	fail();
	return NULL;
}

/* All windows together keep at most the ruleset's budget: past it a window
 * takes an event only in place of its oldest, and the drops are counted, so
 * a burst that would fire with room does not, and the report can say why. */
static void sigma_corr__budget_spent__window_trades_oldest_and_counts_drops(void **s)
{
	(void)s;
	static const char text[] = "title: c\ncorrelation:\n  type: event_count\n  rules: [inv]\n"
	                           "  group-by: [user]\n  timespan: 1h\n  condition: {gte: 5}\n---\n"
	                           BASE("inv", "eventName: InvokeModel");
	for (int budget = 0; budget < 2; budget++) {
		sigma_ruleset *rs = budget ? corr_rules_budget(text, 6) : corr_rules(text);
		const sigma_rule *c = first_correlation(rs);
		corr_log l;
		memset(&l, 0, sizeof l);
		l.want = "user=a";
		l.in_order = true;
		for (int t = 0; t < 4; t++) /* a: 4 kept */
			feed_corr(rs, &(corr_in){t, "x", NULL, "a", NULL}, 0, &l);
		for (int t = 4; t < 7; t++) /* b: 2 kept, then the budget is spent: b trades its oldest */
			feed_corr(rs, &(corr_in){t, "x", NULL, "b", NULL}, 0, &l);
		feed_corr(rs, &(corr_in){7, "x", NULL, "a", NULL}, 0, &l); /* a's 5th */
		assert_int_equal(l.fires, budget ? 0 : 1);
		assert_int_equal(sigma_rule_corr_dropped(c), budget ? 2 : 0);
		ruleset_reset_state(rs); /* forgets the windows, the drops and the budget spent */
		assert_int_equal(sigma_rule_corr_dropped(c), 0);
		for (int t = 0; t < 5; t++)
			feed_corr(rs, &(corr_in){t, "x", NULL, "a", NULL}, 0, &l);
		assert_int_equal(l.fires, budget ? 1 : 2);
		assert_int_equal(l.nevents, 5);
		assert_int_equal(sigma_rule_corr_dropped(c), 0);
		ruleset_free(rs);
	}
}

/* One group's window keeps at most SIGMA_CORR_MAX_WINDOW events; the
 * oldest past it are dropped, and counted where they change the aggregate
 * (not for temporal correlations, nor for a fixed window's count). */
static void sigma_corr__window_cap__oldest_dropped_and_counted(void **s)
{
	(void)s;
	sigma_ruleset *rs = corr_rules("title: c\ncorrelation:\n  type: event_count\n  rules: [inv]\n"
	                               "  group-by: [user]\n  timespan: 1d\n  condition: {gte: 20000}\n---\n"
	                               BASE("inv", "eventName: InvokeModel"));
	corr_log l;
	memset(&l, 0, sizeof l);
	l.want = "user=a";
	for (int t = 0; t < (int)SIGMA_CORR_MAX_WINDOW + 3; t++)
		feed_corr(rs, &(corr_in){t, "x", NULL, "a", NULL}, 0, &l);
	assert_int_equal(l.fires, 0);
	assert_int_equal(sigma_rule_corr_dropped(first_correlation(rs)), 3);
	ruleset_free(rs);
	/* a temporal window's state is its marks: its drops change nothing it decides */
	rs = corr_rules("title: c\ncorrelation:\n  type: temporal\n  rules: [inv, other]\n"
	                "  group-by: [user]\n  timespan: 1d\n---\n" BASE("inv", "eventName: InvokeModel")
	                "---\n" BASE("other", "eventName: Converse"));
	for (int t = 0; t < (int)SIGMA_CORR_MAX_WINDOW + 3; t++)
		feed_corr(rs, &(corr_in){t, "x", NULL, "a", NULL}, 0, &l);
	assert_int_equal(l.fires, 0);
	assert_int_equal(sigma_rule_corr_dropped(first_correlation(rs)), 0);
	ruleset_free(rs);
	/* a fixed window ("fewer than") counts and sums beyond the events it keeps */
	rs = corr_rules("title: c\ncorrelation:\n  type: event_count\n  rules: [inv]\n"
	                "  group-by: [user]\n  timespan: 1d\n  condition: {lt: 5}\n---\n"
	                BASE("inv", "eventName: InvokeModel"));
	for (int t = 0; t < (int)SIGMA_CORR_MAX_WINDOW + 3; t++)
		feed_corr(rs, &(corr_in){t, "x", NULL, "a", NULL}, 0, &l);
	assert_int_equal(sigma_rule_corr_dropped(first_correlation(rs)), 0);
	ruleset_free(rs);
}

/* A key used all day (enumeration at start-up, invocations every 10 minutes)
 * that completes enumeration -> enablement -> invocation at 03:14 the next
 * night: the finding holds the chain's events only, from the enumeration
 * that started it, not the day of invocations before it. */
static void corr_feed_named(sigma_ruleset *rs, int64_t t, const char *name, corr_log *l)
{
	char json[160];
	snprintf(json, sizeof json, "{\"user\":\"AKIAEXAMPLE\",\"eventName\":\"%s\"}", name);
	arena *a = arena_new(0, 0);
	json_value *doc;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(json_parse(a, json, strlen(json), NULL, &doc, NULL, &err), LT_OK);
	event ev;
	memset(&ev, 0, sizeof ev);
	ev.source = EV_SRC_CLOUDTRAIL;
	ev.time_us = t * 1000000;
	ev.doc = doc;
	ev.uid = (ev_str){"u", 1};
	ev.seq = ++l->fed;
	assert_int_equal(ruleset_match(rs, &ev, on_corr_log, l), LT_OK);
	arena_free(a);
}

static void sigma_corr__chain_after_day_of_use__finding_holds_firing_window_only(void **s)
{
	(void)s;
	for (int ordered = 0; ordered < 2; ordered++) {
		char text[1024];
		snprintf(text, sizeof text,
		         "title: c\ncorrelation:\n  type: %s\n  rules: [enum, enable, inv]\n"
		         "  group-by: [user]\n  timespan: 2d\n---\n" BASE("enum", "eventName: ListFoundationModels")
		         "---\n" BASE("enable", "eventName: PutUseCaseForModelAccess") "---\n"
		         BASE("inv", "eventName: InvokeModel"),
		         ordered ? "temporal_ordered" : "temporal");
		sigma_ruleset *rs = corr_rules(text);
		corr_log l;
		memset(&l, 0, sizeof l);
		l.want = "user=AKIAEXAMPLE";
		l.in_order = true;
		const int64_t day = 86400;
		corr_feed_named(rs, 0, "ListFoundationModels", &l); /* SDK start-up, day 1 */
		for (int64_t t = 60; t < day; t += 600)
			corr_feed_named(rs, t, "InvokeModel", &l);
		assert_int_equal(l.fires, 0);
		const int64_t chain = day + 3 * 3600 + 14 * 60; /* 03:14 on day 2 */
		corr_feed_named(rs, chain - 120, "ListFoundationModels", &l);
		corr_feed_named(rs, chain - 60, "PutUseCaseForModelAccess", &l);
		uint64_t first_seq = l.fed - 1;
		if (!ordered) {
			/* unordered: the enablement completes the set with yesterday's
			 * last invocation; the finding starts there, not at day 1's start */
			assert_int_equal(l.fires, 1);
			assert_int_equal(l.nevents, 3);
			assert_int_equal(l.first_us, (day - 540) * 1000000);
			assert_int_equal(l.last_us, (chain - 60) * 1000000);
			ruleset_free(rs);
			continue;
		}
		corr_feed_named(rs, chain, "InvokeModel", &l);
		assert_int_equal(l.fires, 1);
		assert_int_equal(l.nevents, 3);
		assert_int_equal(l.first_us, (chain - 120) * 1000000);
		assert_int_equal(l.last_us, chain * 1000000);
		assert_int_equal(l.ev[0].seq, first_seq);
		assert_int_equal(l.ev[2].seq, l.fed);
		assert_true(l.in_order);
		ruleset_free(rs);
	}
}

/* Issue 22 defect 7: long values were cut to 1,024 bytes, so user agents
 * that differ only past that byte were one value (value_count under-counted:
 * an evasion path) and one group (false merges). Identity is now a hash of
 * the whole value; a group key keeps a short prefix and the hash. */
static void feed_long(sigma_ruleset *rs, int64_t t, const char *user, const char *ua, corr_log *l)
{
	size_t n = strlen(ua) + 128;
	char *json = malloc(n);
	assert_non_null(json);
	snprintf(json, n, "{\"user\":\"%s\",\"ip\":\"%s\",\"eventName\":\"InvokeModel\"}", user, ua);
	arena *a = arena_new(0, 0);
	json_value *doc;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(json_parse(a, json, strlen(json), NULL, &doc, NULL, &err), LT_OK);
	event ev;
	memset(&ev, 0, sizeof ev);
	ev.source = EV_SRC_CLOUDTRAIL;
	ev.time_us = t * 1000000;
	ev.doc = doc;
	ev.uid = (ev_str){"u", 1};
	ev.seq = ++l->fed;
	assert_int_equal(ruleset_match(rs, &ev, on_corr_log, l), LT_OK);
	arena_free(a);
	free(json);
}

static void sigma_corr__long_values__full_value_identity(void **s)
{
	(void)s;
	enum { N = 3000, LEN = 2048 };
	char *ua = malloc(LEN + 1);
	assert_non_null(ua);
	memset(ua, 'M', LEN);
	ua[LEN] = '\0';
	/* value_count: N user agents equal in their first 2,000 bytes are N values */
	sigma_ruleset *rs = corr_rules("title: c\ncorrelation:\n  type: value_count\n  rules: [inv]\n"
	                               "  group-by: [user]\n  timespan: 1d\n  condition: {field: ip, gte: 3000}\n---\n"
	                               BASE("inv", "eventName: InvokeModel"));
	corr_log l;
	memset(&l, 0, sizeof l);
	l.want = "user=a";
	for (int i = 0; i < N; i++) {
		snprintf(ua + 2000, 20, "%08d", i);
		ua[2008] = 'M';
		feed_long(rs, i, "a", ua, &l);
	}
	assert_int_equal(l.fires, 1);
	assert_int_equal(l.nevents, N);
	ruleset_free(rs);
	/* group-by: two long values sharing 2,000 bytes are two groups, and a key
	 * is a bounded prefix, the length and the hash, not the whole value */
	rs = corr_rules("title: c\ncorrelation:\n  type: event_count\n  rules: [inv]\n"
	                "  group-by: [ip]\n  timespan: 1h\n  condition: {gte: 2}\n---\n"
	                BASE("inv", "eventName: InvokeModel"));
	buf b;
	buf_init(&b, 1 << 16);
	memcpy(ua + 2000, "BBBBBBBB", 8);
	assert_int_equal(buf_append(&b, "ip=", 3), LT_OK);
	assert_int_equal(sigma_corr_key_append(&b, ua, LEN), LT_OK);
	memset(&l, 0, sizeof l);
	l.want = buf_cstr(&b);
	memcpy(ua + 2000, "AAAAAAAA", 8);
	feed_long(rs, 0, "a", ua, &l);
	memcpy(ua + 2000, "BBBBBBBB", 8);
	feed_long(rs, 1, "a", ua, &l);
	assert_int_equal(l.fires, 0); /* A and B are not one group of 2 */
	feed_long(rs, 2, "a", ua, &l);
	assert_int_equal(l.fires, 1);
	assert_int_equal(l.nevents, 2);
	ruleset_free(rs);
	buf_reset(&b);
	assert_int_equal(sigma_corr_key_append(&b, ua, LEN), LT_OK);
	assert_true(b.len < 200);
	assert_non_null(strstr(buf_cstr(&b), "(2048 bytes, sha256:"));
	buf_reset(&b);
	assert_int_equal(sigma_corr_key_append(&b, "short", 5), LT_OK);
	assert_string_equal(buf_cstr(&b), "short");
	buf_free(&b);
	free(ua);
}

static void sigma_ext__first_seen__after_baseline_only(void **s)
{
	(void)s;
	const char *rules = "title: f\nlogsource: {product: aws, service: cloudtrail}\n"
	                    "detection:\n  s:\n    eventName: InvokeModel\n  condition: s\n"
	                    "llmtrail:\n  first_seen:\n    group-by: [user]\n    fields: [ip]\n    baseline: 1d\n";
	const char *ev[] = {
	    "0 {\"user\":\"u\",\"ip\":\"1.1.1.1\",\"eventName\":\"InvokeModel\"}",
	    "3600 {\"user\":\"u\",\"ip\":\"2.2.2.2\",\"eventName\":\"InvokeModel\"}", /* learned */
	    "172800 {\"user\":\"u\",\"ip\":\"2.2.2.2\",\"eventName\":\"InvokeModel\"}",
	    "172860 {\"user\":\"u\",\"ip\":\"3.3.3.3\",\"eventName\":\"InvokeModel\"}", /* new: fires */
	    "172900 {\"user\":\"u\",\"ip\":\"3.3.3.3\",\"eventName\":\"InvokeModel\"}",
	    "172901 {\"user\":\"v\",\"ip\":\"9.9.9.9\",\"eventName\":\"InvokeModel\"}", /* v's baseline */
	};
	assert_int_equal(run_seq(rules, ev, 6).plain_hits, 1);
}

/* baseline_from: rule: the warm-up is the rule's, not the group's, so a
 * group first seen after it is new in everything it does, and nothing is new
 * before the rule has a baseline's worth of history (a one-hour case). */
static void sigma_ext__first_seen__baseline_from_rule(void **s)
{
	(void)s;
	const char *rules = "title: f\nlogsource: {product: aws, service: cloudtrail}\n"
	                    "detection:\n  s:\n    eventName: InvokeModel\n  condition: s\n"
	                    "llmtrail:\n  first_seen:\n    group-by: [user]\n    fields: [ip]\n    baseline: 1d\n"
	                    "    baseline_from: rule\n";
	const char *ev[] = {
	    "0 {\"user\":\"u\",\"ip\":\"1.1.1.1\",\"eventName\":\"InvokeModel\"}",
	    "3600 {\"user\":\"v\",\"ip\":\"2.2.2.2\",\"eventName\":\"InvokeModel\"}",   /* warm-up: learned */
	    "90000 {\"user\":\"u\",\"ip\":\"1.1.1.1\",\"eventName\":\"InvokeModel\"}",  /* known */
	    "90001 {\"user\":\"w\",\"ip\":\"3.3.3.3\",\"eventName\":\"InvokeModel\"}",  /* new group: fires */
	    "90002 {\"user\":\"v\",\"ip\":\"4.4.4.4\",\"eventName\":\"InvokeModel\"}",  /* new value: fires */
	};
	assert_int_equal(run_seq(rules, ev, 5).plain_hits, 2);
	assert_int_equal(run_seq(rules, ev, 2).plain_hits, 0);
	const char *bad = "title: f\nlogsource: {product: aws, service: cloudtrail}\n"
	                  "detection:\n  s:\n    eventName: InvokeModel\n  condition: s\n"
	                  "llmtrail:\n  first_seen:\n    fields: [ip]\n    baseline_from: case\n";
	sigma_ruleset *rs = ruleset_new();
	lt_error err;
	lt_error_clear(&err);
	lt_status st = ruleset_load_text(rs, "bad.yml", bad, strlen(bad), &err);
	if (st == LT_OK)
		st = ruleset_compile(rs, &err);
	assert_true(st != LT_OK || sigma_rule_state(ruleset_rule(rs, 0)) != SIGMA_LOADED);
	ruleset_free(rs);
}

static void sigma_ext__validators__checksums_and_entropy(void **s)
{
	(void)s;
	assert_true(sigma_ext_luhn("4111 1111 1111 1111", 19));
	assert_false(sigma_ext_luhn("4111 1111 1111 1112", 19));
	assert_true(sigma_ext_iban("GB82 WEST 1234 5698 7654 32", 27));
	assert_false(sigma_ext_iban("GB82 WEST 1234 5698 7654 33", 27));
	assert_true(sigma_ext_ssn("123-45-6789", 11));
	assert_false(sigma_ext_ssn("666-45-6789", 11));
	assert_false(sigma_ext_ssn("123-00-6789", 11));
	assert_true(sigma_ext_entropy("aaaa", 4) == 0.0);
	assert_true(sigma_ext_entropy("abcd", 4) == 2.0);
	assert_true(sigma_ext_overlap("xxhello world, this is the systemyy", 35, "the system: hello world, this is the system prompt", 50, 20));
	assert_false(sigma_ext_overlap("completely different text here", 30, "the system: hello world, this is", 32, 20));
}

static void sigma_ext__validators_and_exclusions__filter_regex_matches(void **s)
{
	(void)s;
	const char *base = "title: t\nlogsource: {product: aws, service: cloudtrail}\n"
	                   "detection:\n  s:\n    text|re: '(key)=([A-Za-z0-9]+)'\n  condition: s\n";
	char rule[1024];
	snprintf(rule, sizeof rule, "%sllmtrail:\n  redact: true\n  validators:\n    - {type: entropy, group: 2, min: 3.0}\n  exclude_matches: [example]\n", base);
	const char *low[] = {"0 {\"text\":\"key=aaaaaaaaaaaa\"}"};
	const char *high[] = {"0 {\"text\":\"key=aaaa and key=Zq8xW3pL0v9K\"}"}; /* second match passes */
	const char *excl[] = {"0 {\"text\":\"key=Example9Xq2w7\"}"};
	assert_int_equal(run_seq(rule, low, 1).plain_hits, 0);
	assert_int_equal(run_seq(rule, high, 1).plain_hits, 1);
	assert_int_equal(run_seq(rule, excl, 1).plain_hits, 0);
	snprintf(rule, sizeof rule, "%sllmtrail:\n  validators:\n    - {type: min_matches, min: 3}\n", base);
	const char *two[] = {"0 {\"text\":\"key=a key=b\"}"};
	const char *three[] = {"0 {\"text\":\"key=a key=b key=c\"}"};
	assert_int_equal(run_seq(rule, two, 1).plain_hits, 0);
	assert_int_equal(run_seq(rule, three, 1).plain_hits, 1);
}

/* ---- detection and ordered stage apart ------------------------------------ */

/* Rules touching every part of matching: spans, filters, first_seen (with a
 * filter that can fail), keywords, a regex that fails, and correlations of
 * each kind: sliding event_count (generate), value_count, temporal and
 * "fewer than". */
static const char *const TWO_STAGE_RULES =
    "title: inv\nname: inv\nlogsource: {product: aws, service: cloudtrail}\n"
    "detection:\n  s:\n    eventName|contains: Invoke\n  condition: s\n---\n"
    "title: deny\nname: deny\nlogsource: {product: aws, service: cloudtrail}\n"
    "detection:\n  s:\n    errorCode: AccessDenied\n  condition: s\n---\n"
    "title: list\nname: list\nlogsource: {product: aws, service: cloudtrail}\n"
    "detection:\n  s:\n    eventName: ListFoundationModels\n  condition: s\n---\n"
    "title: kw\nname: kw\nlogsource: {product: aws, service: cloudtrail}\n"
    "detection:\n  keywords:\n    - secret\n  condition: keywords\n---\n"
    "title: re\nname: re\nlogsource: {product: aws, service: cloudtrail}\n"
    "detection:\n  s:\n    x|re: '^(a|aa)+$'\n  condition: s\n---\n"
    "title: fs\nname: fs\nlogsource: {product: aws, service: cloudtrail}\n"
    "detection:\n  s:\n    eventName|startswith: Invoke\n  condition: s\n"
    "llmtrail:\n  first_seen:\n    group-by: [user]\n    fields: [ip]\n    baseline: 1m\n---\n"
    "title: not bob\nlogsource: {product: aws, service: cloudtrail}\n"
    "filter:\n  rules: [inv, fs]\n  sel:\n    user: bob\n  condition: sel\n---\n"
    "title: not y\nlogsource: {product: aws, service: cloudtrail}\n"
    "filter:\n  rules: [fs]\n  sel:\n    y|re: '^(a|aa)+$'\n  condition: sel\n---\n"
    "title: burst\ncorrelation:\n  type: event_count\n  rules: [inv]\n  group-by: [user]\n"
    "  timespan: 10m\n  condition: {gte: 3}\n  generate: true\n---\n"
    "title: ips\ncorrelation:\n  type: value_count\n  rules: [deny]\n  group-by: [user]\n"
    "  timespan: 1h\n  condition: {field: ip, gte: 2}\n---\n"
    "title: list then invoke\ncorrelation:\n  type: temporal\n  rules: [list, inv]\n"
    "  group-by: [user]\n  timespan: 5m\n---\n"
    "title: few denies\ncorrelation:\n  type: event_count\n  rules: [deny]\n  group-by: [user]\n"
    "  timespan: 10m\n  condition: {lt: 3}\n";

#define CATASTROPHIC "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"

static const char *const TWO_STAGE_EVENTS[] = {
    "0 {\"user\":\"a\",\"ip\":\"1.1.1.1\",\"eventName\":\"InvokeModel\",\"note\":\"my secret\"}",
    "10 {\"user\":\"a\",\"ip\":\"1.1.1.1\",\"eventName\":\"ListFoundationModels\"}",
    "20 {\"user\":\"a\",\"ip\":\"2.2.2.2\",\"eventName\":\"InvokeModel\",\"x\":\"" CATASTROPHIC "\"}",
    "30 {\"user\":\"bob\",\"ip\":\"3.3.3.3\",\"eventName\":\"InvokeModel\"}",
    "40 {\"user\":\"a\",\"ip\":\"1.1.1.1\",\"errorCode\":\"AccessDenied\"}",
    "50 {\"user\":\"a\",\"ip\":\"9.9.9.9\",\"errorCode\":\"AccessDenied\",\"t\":[{\"k\":\"secret sauce\"}]}",
    "100 {\"user\":\"a\",\"ip\":\"7.7.7.7\",\"eventName\":\"InvokeModel\",\"y\":\"" CATASTROPHIC "\"}",
    "110 {\"user\":\"a\",\"ip\":\"7.7.7.7\",\"eventName\":\"InvokeModel\",\"y\":\"" CATASTROPHIC "\"}",
    "120 {\"user\":\"c\",\"ip\":\"1.1.1.1\",\"errorCode\":\"AccessDenied\"}",
    "700 {\"user\":\"z\",\"eventName\":\"Nothing\"}",
    "800 {\"user\":\"bob\",\"ip\":\"4.4.4.4\",\"eventName\":\"InvokeModel\",\"note\":\"secret\"}",
    "805 {\"user\":\"a\",\"ip\":\"8.8.8.8\",\"eventName\":\"InvokeModel\",\"y\":\"yy\"}",
    "900 {\"user\":\"d\",\"ip\":\"1.1.1.1\",\"errorCode\":\"AccessDenied\"}",
};
#define TWO_STAGE_N (sizeof TWO_STAGE_EVENTS / sizeof TWO_STAGE_EVENTS[0])

/* Every hit written out as text, in the order of the calls. */
typedef struct trace {
	char *s;
	size_t len, cap;
	int calls;
	int stop_every; /* > 0: the callback asks to stop on every stop_every-th call */
	int64_t at;     /* time of the event being matched, -1 at finish */
} trace;

static void trace_printf(trace *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char line[1024];
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof line);
	if (t->len + (size_t)n + 1 > t->cap) {
		t->cap = (t->len + (size_t)n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
	memcpy(t->s + t->len, line, (size_t)n + 1);
	t->len += (size_t)n;
}

static int on_trace(void *ctx, const sigma_hit *h)
{
	trace *t = ctx;
	trace_printf(t, "@%lld %s", (long long)t->at, sigma_rule_title(h->rule));
	if (h->error != NULL)
		trace_printf(t, " error=%s", h->error);
	for (size_t i = 0; i < h->nspans; i++) {
		const sigma_span *sp = &h->spans[i];
		trace_printf(t, " [%s=%.*s %zu-%zu '%.*s']", sp->field, (int)sp->value_len, sp->value,
		             sp->start, sp->end, (int)(sp->end - sp->start), sp->value + sp->start);
	}
	if (h->corr != NULL) {
		trace_printf(t, " corr{%s %lld-%lld %g:", h->corr->group, (long long)h->corr->first_us,
		             (long long)h->corr->last_us, h->corr->value);
		for (size_t i = 0; i < h->corr->nevents; i++)
			trace_printf(t, " %lld", (long long)h->corr->events[i].time_us);
		trace_printf(t, "}");
	}
	trace_printf(t, "\n");
	t->calls++;
	return t->stop_every > 0 && t->calls % t->stop_every == 0;
}

/* Events parsed once; rounds > 1 repeats the list, 1000 s later each time. */
typedef struct evlist {
	arena *a;
	event *ev;
	size_t n;
} evlist;

static evlist parse_events(const char *const *lines, size_t n, size_t rounds)
{
	evlist el = {arena_new(0, 0), calloc(n * rounds, sizeof(event)), n * rounds};
	assert_non_null(el.a);
	assert_non_null(el.ev);
	lt_error err;
	lt_error_clear(&err);
	for (size_t r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++) {
			const char *sp = strchr(lines[i], ' ');
			json_value *doc;
			assert_int_equal(json_parse(el.a, sp + 1, strlen(sp + 1), NULL, &doc, NULL, &err), LT_OK);
			event *ev = &el.ev[r * n + i];
			ev->source = EV_SRC_CLOUDTRAIL;
			ev->time_us = ((int64_t)r * 1000 + strtoll(lines[i], NULL, 10)) * 1000000;
			ev->doc = doc;
		}
	return el;
}

static void free_events(evlist *el)
{
	arena_free(el->a);
	free(el->ev);
}

static sigma_ruleset *two_stage_rules(void)
{
	return corr_rules(TWO_STAGE_RULES);
}

/* The reference: ruleset_match over the events, then ruleset_finish. */
static void trace_match(sigma_ruleset *rs, const evlist *el, trace *t)
{
	for (size_t i = 0; i < el->n; i++) {
		t->at = el->ev[i].time_us;
		assert_int_equal(ruleset_match(rs, &el->ev[i], on_trace, t), LT_OK);
	}
	t->at = -1;
	assert_int_equal(ruleset_finish(rs, on_trace, t), LT_OK);
}

/* Stored detections of every event, detected with one detector before any
 * of them is applied. */
static void **detect_all(const sigma_ruleset *rs, const evlist *el)
{
	sigma_detector *d = sigma_detector_new(rs);
	assert_non_null(d);
	void **stored = calloc(el->n, sizeof *stored);
	assert_non_null(stored);
	for (size_t i = 0; i < el->n; i++) {
		const sigma_detection *det;
		assert_int_equal(sigma_detect(d, &el->ev[i], &det), LT_OK);
		stored[i] = malloc(sigma_detection_size(det));
		assert_non_null(stored[i]);
		assert_ptr_equal(sigma_detection_copy(det, stored[i]), stored[i]);
	}
	sigma_detector_free(d);
	return stored;
}

static void trace_stored(sigma_ruleset *rs, const evlist *el, void **stored, trace *t)
{
	for (size_t i = 0; i < el->n; i++) {
		t->at = el->ev[i].time_us;
		assert_int_equal(ruleset_match_detected(rs, &el->ev[i], stored[i], on_trace, t), LT_OK);
	}
	t->at = -1;
	assert_int_equal(ruleset_finish(rs, on_trace, t), LT_OK);
}

static void free_stored(void **stored, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(stored[i]);
	free(stored);
}

/* What ruleset_match gave before it was split in two stages: every kind of
 * hit. At 100 s first_seen fires and its filter fails (error); at 110 s the
 * value is not new, so the filter is not run (no error); bob is filtered out
 * and feeds nothing; "few denies" closes on later events and at the end. */
static const char *const TWO_STAGE_TRACE =
    "@0 kw [note=my secret 3-9 'secret']\n"
    "@10000000 list then invoke corr{user=a 0-10000000 2: 0 10000000}\n"
    "@20000000 re error=regular expression exceeded its match limit\n"
    "@50000000 ips corr{user=a 40000000-50000000 2: 40000000 50000000}\n"
    "@50000000 kw [t.k=secret sauce 0-6 'secret']\n"
    "@100000000 burst corr{user=a 0-100000000 3: 0 20000000 100000000}\n"
    "@100000000 fs error=regular expression exceeded its match limit [eventName=InvokeModel 0-6 'Invoke']\n"
    "@700000000 few denies corr{user=a 40000000-50000000 2: 40000000 50000000}\n"
    "@800000000 few denies corr{user=c 120000000-120000000 1: 120000000}\n"
    "@800000000 kw [note=secret 0-6 'secret']\n"
    "@805000000 fs [eventName=InvokeModel 0-6 'Invoke']\n"
    "@-1 few denies corr{user=d 900000000-900000000 1: 900000000}\n";

static void sigma_detect__two_stages__same_hits_as_ruleset_match(void **s)
{
	(void)s;
	/* statistics before the split, also when the callback stops early */
	const struct {
		uint64_t events, evaluations;
	} want[4] = {{13, 35}, {11, 22}, {12, 28}, {12, 28}};
	evlist el = parse_events(TWO_STAGE_EVENTS, TWO_STAGE_N, 1);
	for (int stop = 0; stop <= 3; stop++) { /* 0: never stop; else stop every stop-th hit */
		sigma_ruleset *ra = two_stage_rules(), *rb = two_stage_rules();
		trace ta = {NULL, 0, 0, 0, stop, 0}, tb = {NULL, 0, 0, 0, stop, 0};
		trace_match(ra, &el, &ta);
		void **stored = detect_all(rb, &el);
		trace_stored(rb, &el, stored, &tb);
		assert_non_null(ta.s);
		assert_non_null(tb.s);
		assert_string_equal(ta.s, tb.s);
		ruleset_stats sa, sb;
		ruleset_get_stats(ra, &sa);
		ruleset_get_stats(rb, &sb);
		assert_int_equal(sa.events, sb.events);
		assert_int_equal(sa.evaluations, sb.evaluations);
		assert_int_equal(sa.events, want[stop].events);
		assert_int_equal(sa.evaluations, want[stop].evaluations);
		if (stop == 0)
			assert_string_equal(ta.s, TWO_STAGE_TRACE);
		free_stored(stored, el.n);
		free(ta.s);
		free(tb.s);
		ruleset_free(ra);
		ruleset_free(rb);
	}
	free_events(&el);
}

static void sigma_detect__stored_copy__valid_after_detector_moved_on(void **s)
{
	(void)s;
	evlist el = parse_events(TWO_STAGE_EVENTS, TWO_STAGE_N, 1);
	const event *kw = &el.ev[5], *nothing = &el.ev[9]; /* keyword path hit; no hit at all */
	sigma_ruleset *rs = two_stage_rules(), *ref = two_stage_rules();
	sigma_detector *d = sigma_detector_new(rs);
	assert_non_null(d);
	const sigma_detection *det;
	assert_int_equal(sigma_detect(d, kw, &det), LT_OK);
	assert_false(sigma_detection_empty(det));
	size_t n = sigma_detection_size(det);
	void *mem = malloc(n);
	assert_non_null(mem);
	const sigma_detection *kept = sigma_detection_copy(det, mem);
	/* a copy of the copy is as large: nothing points back into the first */
	void *mem2 = malloc(n);
	assert_non_null(mem2);
	assert_int_equal(sigma_detection_size(kept), n);
	const sigma_detection *kept2 = sigma_detection_copy(kept, mem2);
	for (size_t i = 0; i < el.n; i++) /* the detector moves on, its scratch is reused */
		assert_int_equal(sigma_detect(d, &el.ev[i], &det), LT_OK);
	assert_int_equal(sigma_detect(d, nothing, &det), LT_OK);
	assert_true(sigma_detection_empty(det));
	assert_true(sigma_detection_size(det) <= 64);
	sigma_detector_free(d);
	for (int i = 0; i < 64; i++) { /* and its memory is handed out again */
		void *junk = malloc(4096);
		assert_non_null(junk);
		memset(junk, 0x5a, 4096);
		free(junk);
	}
	trace t = {NULL, 0, 0, 0, 0, kw->time_us}, t2 = {NULL, 0, 0, 0, 0, kw->time_us},
	      tr = {NULL, 0, 0, 0, 0, kw->time_us};
	assert_int_equal(ruleset_match_detected(rs, kw, kept, on_trace, &t), LT_OK);
	ruleset_reset_state(rs);
	assert_int_equal(ruleset_match_detected(rs, kw, kept2, on_trace, &t2), LT_OK);
	assert_int_equal(ruleset_match(ref, kw, on_trace, &tr), LT_OK);
	assert_non_null(tr.s);
	assert_non_null(strstr(tr.s, "[t.k=secret sauce"));
	assert_string_equal(t.s, tr.s);
	assert_string_equal(t2.s, tr.s);
	/* a detection applies only to the ruleset it was detected for */
	trace tx = {NULL, 0, 0, 0, 0, 0};
	assert_int_equal(ruleset_match_detected(ref, kw, kept, on_trace, &tx), LT_EFATAL);
	assert_int_equal(tx.calls, 0);
	free(t.s);
	free(t2.s);
	free(tr.s);
	free(mem);
	free(mem2);
	ruleset_free(rs);
	ruleset_free(ref);
	free_events(&el);
}

/* Detections encoded into bytes (what the case stores) and decoded into
 * another ruleset loaded from the same text: the same digest, and the same
 * hits, in the same order, with the same statistics as ruleset_match. */
static void **encode_all(const sigma_ruleset *rs, const evlist *el, size_t **lens)
{
	sigma_detector *d = sigma_detector_new(rs);
	assert_non_null(d);
	void **bytes = calloc(el->n, sizeof *bytes);
	*lens = calloc(el->n, sizeof **lens);
	assert_non_null(bytes);
	assert_non_null(*lens);
	for (size_t i = 0; i < el->n; i++) {
		const sigma_detection *det;
		assert_int_equal(sigma_detect(d, &el->ev[i], &det), LT_OK);
		buf b;
		buf_init(&b, 0);
		if (!sigma_detection_empty(det)) /* as the index stores it: nothing for no hit */
			assert_int_equal(sigma_detection_encode(det, &b), LT_OK);
		(*lens)[i] = b.len;
		bytes[i] = buf_detach(&b, &(*lens)[i]);
	}
	sigma_detector_free(d);
	return bytes;
}

static void sigma_detect__encoded__same_hits_after_decode(void **s)
{
	(void)s;
	evlist el = parse_events(TWO_STAGE_EVENTS, TWO_STAGE_N, 2);
	sigma_ruleset *ra = two_stage_rules(), *rb = two_stage_rules(), *rc = two_stage_rules();
	assert_int_equal(strlen(ruleset_digest(ra)), 64);
	assert_string_equal(ruleset_digest(ra), ruleset_digest(rb));
	size_t *lens;
	void **bytes = encode_all(rc, &el, &lens); /* encoded with one ruleset, read with another */
	trace ta = {NULL, 0, 0, 0, 0, 0}, tb = {NULL, 0, 0, 0, 0, 0};
	trace_match(ra, &el, &ta);
	arena *a = arena_new(0, 0);
	assert_non_null(a);
	for (size_t i = 0; i < el.n; i++) {
		const sigma_detection *det = NULL;
		lt_error err;
		assert_int_equal(sigma_detection_decode(rb, bytes[i], lens[i], a, &det, &err), LT_OK);
		tb.at = el.ev[i].time_us;
		assert_int_equal(ruleset_match_detected(rb, &el.ev[i], det, on_trace, &tb), LT_OK);
	}
	tb.at = -1;
	assert_int_equal(ruleset_finish(rb, on_trace, &tb), LT_OK);
	assert_non_null(ta.s);
	assert_string_equal(ta.s, tb.s);
	ruleset_stats sa, sb;
	ruleset_get_stats(ra, &sa);
	ruleset_get_stats(rb, &sb);
	assert_int_equal(sa.events, sb.events);
	for (size_t i = 0; i < el.n; i++)
		free(bytes[i]);
	free(bytes);
	free(lens);
	free(ta.s);
	free(tb.s);
	arena_free(a);
	ruleset_free(ra);
	ruleset_free(rb);
	ruleset_free(rc);
	free_events(&el);
}

/* The digest names what detection depends on: one more space in a rule
 * changes it; the same texts in the same order give the same. */
static void sigma_detect__digest__follows_rule_text(void **s)
{
	(void)s;
	sigma_ruleset *ra = two_stage_rules();
	size_t n = strlen(TWO_STAGE_RULES);
	char *edited = malloc(n + 2);
	assert_non_null(edited);
	memcpy(edited, TWO_STAGE_RULES, n);
	memcpy(edited + n, "\n", 2);
	sigma_ruleset *rb = corr_rules(edited);
	assert_string_not_equal(ruleset_digest(ra), ruleset_digest(rb));
	sigma_ruleset *uncompiled = ruleset_new();
	assert_string_equal(ruleset_digest(uncompiled), "");
	ruleset_free(uncompiled);
	free(edited);
	ruleset_free(ra);
	ruleset_free(rb);
}

/* Stored bytes come from a case file that may be damaged or hostile: every
 * cut and every flipped byte is an LT_EFILE or a valid detection, never a
 * crash or a read out of bounds (ASan/UBSan run this too). */
static void sigma_detect__damaged_bytes__refused_or_valid(void **s)
{
	(void)s;
	evlist el = parse_events(TWO_STAGE_EVENTS, TWO_STAGE_N, 1);
	sigma_ruleset *rs = two_stage_rules();
	size_t *lens;
	void **bytes = encode_all(rs, &el, &lens);
	arena *a = arena_new(0, 0);
	assert_non_null(a);
	size_t tried = 0;
	for (size_t i = 0; i < el.n; i++) {
		if (lens[i] == 0)
			continue;
		unsigned char *p = bytes[i];
		for (size_t cut = 1; cut < lens[i]; cut++) {
			const sigma_detection *det = (const sigma_detection *)p;
			lt_error err;
			assert_int_equal(sigma_detection_decode(rs, p, cut, a, &det, &err), LT_EFILE);
			assert_null(det);
			assert_non_null(strstr(err.msg, "stored detection"));
			tried++;
		}
		for (size_t k = 0; k < lens[i]; k++)
			for (unsigned bit = 0; bit < 8; bit++) {
				p[k] ^= (unsigned char)(1u << bit);
				const sigma_detection *det = NULL;
				lt_error err;
				lt_status st = sigma_detection_decode(rs, p, lens[i], a, &det, &err);
				assert_true(st == LT_OK || st == LT_EFILE);
				assert_true((st == LT_OK) == (det != NULL));
				p[k] ^= (unsigned char)(1u << bit);
			}
		arena_reset(a);
	}
	assert_true(tried > 10);
	for (size_t i = 0; i < el.n; i++)
		free(bytes[i]);
	free(bytes);
	free(lens);
	arena_free(a);
	ruleset_free(rs);
	free_events(&el);
}

/* ---- threads */

#define THREAD_ROUNDS 40

typedef struct detect_job {
	const sigma_ruleset *rs;
	const evlist *el;
	void **stored;
	/* pipeline mode: hand each stored result to the consumer as it is made */
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
	size_t *ready;
	bool failed;
} detect_job;

static void *detect_thread(void *arg)
{
	detect_job *j = arg;
	sigma_detector *d = sigma_detector_new(j->rs);
	if (d == NULL) {
		j->failed = true;
		return NULL;
	}
	for (size_t i = 0; i < j->el->n && !j->failed; i++) {
		const sigma_detection *det;
		void *mem = NULL;
		if (sigma_detect(d, &j->el->ev[i], &det) != LT_OK ||
		    (mem = malloc(sigma_detection_size(det))) == NULL) {
			j->failed = true;
			break;
		}
		(void)sigma_detection_copy(det, mem);
		if (j->mu != NULL)
			pthread_mutex_lock(j->mu);
		j->stored[i] = mem;
		if (j->mu != NULL) {
			*j->ready = i + 1;
			pthread_cond_signal(j->cv);
			pthread_mutex_unlock(j->mu);
		}
	}
	if (j->failed && j->mu != NULL) { /* wake the consumer: it checks failed */
		pthread_mutex_lock(j->mu);
		*j->ready = j->el->n;
		pthread_cond_signal(j->cv);
		pthread_mutex_unlock(j->mu);
	}
	sigma_detector_free(d);
	return NULL;
}

static void sigma_detect__two_threads_one_ruleset__same_results_as_one(void **s)
{
	(void)s;
	evlist el = parse_events(TWO_STAGE_EVENTS, TWO_STAGE_N, THREAD_ROUNDS);
	sigma_ruleset *ref = two_stage_rules(), *rs = two_stage_rules();
	trace t0 = {NULL, 0, 0, 0, 0, 0};
	trace_match(ref, &el, &t0);
	detect_job jobs[2];
	pthread_t th[2];
	for (int k = 0; k < 2; k++) {
		jobs[k] = (detect_job){rs, &el, calloc(el.n, sizeof(void *)), NULL, NULL, NULL, false};
		assert_non_null(jobs[k].stored);
		assert_int_equal(pthread_create(&th[k], NULL, detect_thread, &jobs[k]), 0);
	}
	for (int k = 0; k < 2; k++)
		assert_int_equal(pthread_join(th[k], NULL), 0);
	for (int k = 0; k < 2; k++) {
		assert_false(jobs[k].failed);
		trace t = {NULL, 0, 0, 0, 0, 0};
		ruleset_reset_state(rs);
		trace_stored(rs, &el, jobs[k].stored, &t);
		assert_string_equal(t.s, t0.s);
		free(t.s);
		free_stored(jobs[k].stored, el.n);
	}
	free(t0.s);
	ruleset_free(ref);
	ruleset_free(rs);
	free_events(&el);
}

/* The way scan uses it: a thread detects ahead while this one applies the
 * results in order on the same ruleset (its state changes meanwhile). */
static void sigma_detect__detect_ahead_while_ordered_stage_runs__same_hits(void **s)
{
	(void)s;
	evlist el = parse_events(TWO_STAGE_EVENTS, TWO_STAGE_N, THREAD_ROUNDS);
	sigma_ruleset *ref = two_stage_rules(), *rs = two_stage_rules();
	trace t0 = {NULL, 0, 0, 0, 0, 0}, t = {NULL, 0, 0, 0, 0, 0};
	trace_match(ref, &el, &t0);
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	size_t ready = 0;
	detect_job job = {rs, &el, calloc(el.n, sizeof(void *)), &mu, &cv, &ready, false};
	assert_non_null(job.stored);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, detect_thread, &job), 0);
	for (size_t i = 0; i < el.n; i++) {
		pthread_mutex_lock(&mu);
		while (ready <= i)
			pthread_cond_wait(&cv, &mu);
		const sigma_detection *det = job.stored[i];
		pthread_mutex_unlock(&mu);
		if (det == NULL)
			break; /* the detector failed: reported below */
		t.at = el.ev[i].time_us;
		assert_int_equal(ruleset_match_detected(rs, &el.ev[i], det, on_trace, &t), LT_OK);
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_false(job.failed);
	t.at = -1;
	assert_int_equal(ruleset_finish(rs, on_trace, &t), LT_OK);
	assert_string_equal(t.s, t0.s);
	free_stored(job.stored, el.n);
	free(t.s);
	free(t0.s);
	ruleset_free(ref);
	ruleset_free(rs);
	free_events(&el);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sigma__plain_value__case_insensitive_exact),
	    cmocka_unit_test(sigma__wildcards__star_and_question),
	    cmocka_unit_test(sigma__escapes__literal_star_question_backslash),
	    cmocka_unit_test(sigma__list__or_and_all),
	    cmocka_unit_test(sigma__map__fields_and),
	    cmocka_unit_test(sigma__contains_startswith_endswith__positions),
	    cmocka_unit_test(sigma__dotted_path_and_arrays__any_element),
	    cmocka_unit_test(sigma__exists__true_and_false),
	    cmocka_unit_test(sigma__null__absent_or_null),
	    cmocka_unit_test(sigma__cased__case_sensitive),
	    cmocka_unit_test(sigma__neq__differs),
	    cmocka_unit_test(sigma__re__flags_and_default_case),
	    cmocka_unit_test(sigma__re__catastrophic_is_an_error_not_a_hang),
	    cmocka_unit_test(sigma__windash__all_dash_forms),
	    cmocka_unit_test(sigma__base64__and_offsets),
	    cmocka_unit_test(sigma__utf16__encodings),
	    cmocka_unit_test(sigma__cidr__ipv4_and_ipv6),
	    cmocka_unit_test(sigma__numeric_compare__lt_lte_gt_gte),
	    cmocka_unit_test(sigma__fieldref__compares_fields),
	    cmocka_unit_test(sigma__keywords__any_string_field),
	    cmocka_unit_test(sigma__derived_fields__invocation),
	    cmocka_unit_test(sigma_cond__precedence__not_and_or),
	    cmocka_unit_test(sigma_cond__of__patterns_and_them),
	    cmocka_unit_test(sigma_cond__eval__hand_worked),
	    cmocka_unit_test(sigma_cond__errors__named_with_column),
	    cmocka_unit_test(sigma__condition_list__ored),
	    cmocka_unit_test(sigma__errors__file_line_reason),
	    cmocka_unit_test(sigma__errors__others_still_run),
	    cmocka_unit_test(sigma__collection_and_filter__applied),
	    cmocka_unit_test(sigma_ac__overlaps__reported_case_insensitively),
	    cmocka_unit_test(sigma_re__required_literal__extracted),
	    cmocka_unit_test(sigma__prefilter__rules_without_literals_still_run),
	    cmocka_unit_test(sigma_corr__event_count__fires_once_per_burst),
	    cmocka_unit_test(sigma_corr__value_count__distinct_values),
	    cmocka_unit_test(sigma_corr__value_sum_and_avg),
	    cmocka_unit_test(sigma_corr__temporal_ordered__order_and_window),
	    cmocka_unit_test(sigma_corr__temporal_and_aliases),
	    cmocka_unit_test(sigma_corr__value_percentile__nearest_rank_at_boundary),
	    cmocka_unit_test(sigma_corr__fewer_than__fires_when_window_closes),
	    cmocka_unit_test(sigma_corr__fewer_than__window_edges),
	    cmocka_unit_test(sigma_corr__fewer_than__other_types_and_disorder),
	    cmocka_unit_test(sigma_corr__unsupported_and_errors__named),
	    cmocka_unit_test(sigma_corr__handed_out_events__place_in_replay_as_fed),
	    cmocka_unit_test(sigma_corr__value_count__distinct_values_over_a_long_sliding_window),
	    cmocka_unit_test(sigma_corr__sweep_trims_quiet_window__rest_kept_in_order),
	    cmocka_unit_test(sigma_corr__budget_spent__window_trades_oldest_and_counts_drops),
	    cmocka_unit_test(sigma_corr__window_cap__oldest_dropped_and_counted),
	    cmocka_unit_test(sigma_corr__chain_after_day_of_use__finding_holds_firing_window_only),
	    cmocka_unit_test(sigma_corr__long_values__full_value_identity),
	    cmocka_unit_test(sigma_ext__first_seen__after_baseline_only),
	    cmocka_unit_test(sigma_ext__first_seen__baseline_from_rule),
	    cmocka_unit_test(sigma_ext__validators__checksums_and_entropy),
	    cmocka_unit_test(sigma_ext__validators_and_exclusions__filter_regex_matches),
	    cmocka_unit_test(sigma_detect__two_stages__same_hits_as_ruleset_match),
	    cmocka_unit_test(sigma_detect__stored_copy__valid_after_detector_moved_on),
	    cmocka_unit_test(sigma_detect__encoded__same_hits_after_decode),
	    cmocka_unit_test(sigma_detect__digest__follows_rule_text),
	    cmocka_unit_test(sigma_detect__damaged_bytes__refused_or_valid),
	    cmocka_unit_test(sigma_detect__two_threads_one_ruleset__same_results_as_one),
	    cmocka_unit_test(sigma_detect__detect_ahead_while_ordered_stage_runs__same_hits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
