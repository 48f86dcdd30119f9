/* Unit tests for model/scope: the investigator's filter over every hit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "model/report.h"
#include "model/scope.h"

static rpt_event_in event_at(int64_t t)
{
	rpt_event_in e;
	rpt_event_init(&e);
	e.time_us = t;
	e.source = rpt_s("cloudtrail");
	e.uid = rpt_s("e1");
	e.action = rpt_s("InvokeModel");
	e.principal = rpt_s("arn:aws:iam::111122223333:user/ci-deploy");
	e.access_key = rpt_s("AKIAEXAMPLEKEY000001");
	e.source_ip = rpt_s("203.0.113.47");
	e.account = rpt_s("111122223333");
	e.region = rpt_s("us-east-1");
	e.model = rpt_s("arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-3-haiku");
	return e;
}

static void scope__open__admits_everything(void **state)
{
	(void)state;
	scope s;
	scope_init(&s);
	rpt_event_in e = event_at(5);
	assert_true(scope_admits(&s, RPT_LEVEL_INFORMATIONAL, &e));
	assert_false(scope_has_fields(&s));
}

static void scope__level_and_time__bound(void **state)
{
	(void)state;
	scope s;
	scope_init(&s);
	s.min_level = RPT_LEVEL_HIGH;
	s.since_us = 10;
	s.until_us = 20;
	rpt_event_in e = event_at(10);
	assert_true(scope_admits(&s, RPT_LEVEL_HIGH, &e));
	assert_false(scope_admits(&s, RPT_LEVEL_MEDIUM, &e));
	e.time_us = 20; /* until is exclusive */
	assert_false(scope_admits(&s, RPT_LEVEL_CRITICAL, &e));
	e.time_us = 9;
	assert_false(scope_admits(&s, RPT_LEVEL_CRITICAL, &e));
}

static void scope__fields__every_one_must_match(void **state)
{
	(void)state;
	scope s;
	scope_init(&s);
	rpt_event_in e = event_at(0);
	s.match[VM_PRINCIPAL] = "CI-DEPLOY";
	s.match[VM_SOURCE_IP] = "203.0.113.*";
	s.match[VM_MODEL] = "us.anthropic.claude-3-haiku";
	s.match[VM_ACCESS_KEY] = "akiaexamplekey000001";
	s.match[VM_ACCOUNT] = "111122223333";
	s.match[VM_REGION] = "us-*";
	s.match[VM_ACTION] = "invokemodel";
	assert_true(scope_has_fields(&s));
	assert_true(scope_admits(&s, RPT_LEVEL_LOW, &e));
	s.match[VM_REGION] = "eu-west-1";
	assert_false(scope_admits(&s, RPT_LEVEL_LOW, &e));
	s.match[VM_REGION] = NULL;
	e.principal = rpt_s(""); /* a gap without a principal is not "by ci-deploy" */
	assert_false(scope_admits(&s, RPT_LEVEL_LOW, &e));
}

static void scope__describe__names_the_filters(void **state)
{
	(void)state;
	scope s;
	scope_init(&s);
	char out[128];
	assert_int_equal(scope_describe(&s, out, sizeof out), 0);
	s.match[VM_SOURCE_IP] = "203.0.113.*";
	s.match[VM_REGION] = "us-east-1";
	scope_describe(&s, out, sizeof out);
	assert_string_equal(out, "--source-ip 203.0.113.* --region us-east-1");
	char tiny[8];
	assert_true(scope_describe(&s, tiny, sizeof tiny) < sizeof tiny);
}

static size_t add_rule(report *r, rpt_level level)
{
	rpt_rule_in ri;
	memset(&ri, 0, sizeof ri);
	ri.pack = "builtin";
	ri.id = "llmtrail-x";
	ri.title = "x";
	ri.level = level;
	size_t idx = 0;
	assert_int_equal(report_add_rule(r, &ri, &idx, NULL), LT_OK);
	return idx;
}

/* A built-in analyzer's hit goes through the same scope as a rule's. */
static void scope__report_hit_outside__filtered_not_kept(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	assert_non_null(r);
	scope s;
	scope_init(&s);
	s.match[VM_SOURCE_IP] = "198.51.100.*";
	report_set_scope(r, &s);
	assert_true(report_scope_needs_header(r));
	size_t rule = add_rule(r, RPT_LEVEL_HIGH);
	rpt_event_in e = event_at(1);
	lt_error err;
	assert_int_equal(report_add_hit(r, rule, NULL, 0, &e, NULL, 0, &err), LT_OK);
	assert_int_equal(report_nfindings(r), 0);
	assert_int_equal(report_rule(r, rule)->outcome, RPT_FILTERED);
	assert_int_equal(report_rule(r, rule)->filtered, 1);
	assert_int_equal(report_hits_filtered(r), 1);
	assert_string_equal(rpt_outcome_name(RPT_FILTERED), "filtered");
	e.source_ip = rpt_s("198.51.100.23");
	assert_int_equal(report_add_hit(r, rule, NULL, 0, &e, NULL, 0, &err), LT_OK);
	assert_int_equal(report_nfindings(r), 1);
	assert_int_equal(report_rule(r, rule)->outcome, RPT_FIRED);
	report_free(r);
}

static void scope__min_level__drops_builtin_below(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	assert_non_null(r);
	scope s;
	scope_init(&s);
	s.min_level = RPT_LEVEL_HIGH;
	report_set_scope(r, &s);
	assert_false(report_scope_needs_header(r));
	size_t low = add_rule(r, RPT_LEVEL_MEDIUM);
	rpt_event_in e = event_at(1);
	lt_error err;
	assert_int_equal(report_add_hit(r, low, NULL, 0, &e, NULL, 0, &err), LT_OK);
	assert_int_equal(report_nfindings(r), 0);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scope__open__admits_everything),
		cmocka_unit_test(scope__level_and_time__bound),
		cmocka_unit_test(scope__fields__every_one_must_match),
		cmocka_unit_test(scope__describe__names_the_filters),
		cmocka_unit_test(scope__report_hit_outside__filtered_not_kept),
		cmocka_unit_test(scope__min_level__drops_builtin_below),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
