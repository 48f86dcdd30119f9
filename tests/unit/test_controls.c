/*
 * test_controls.c — the policy file (analyzers/policy.c) and the evaluation
 * of each control type (analyzers/controls.c): pass, fail with evidence,
 * not applicable, not evaluable; the caps; the verdict with and without
 * --fail-on-control (reports/report.c).
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

#include "analyzers/audit/controls.h"
#include "analyzers/audit/policy.h"
#include "common/arena.h"
#include "ingest/json.h"
#include "reports/html.h"
#include "reports/jsonl.h"
#include "reports/junit.h"
#include "reports/markdown.h"
#include "model/report.h"

#define T0 (1773100800LL * 1000000LL) /* 2026-03-10T00:00:00Z */
#define HOUR_US (3600LL * 1000000LL)

/* ---- helpers ------------------------------------------------------------- */

static policy *load(const char *yaml)
{
	policy *p = NULL;
	lt_error e;
	lt_error_clear(&e);
	lt_status st = policy_parse(yaml, strlen(yaml), "p.yaml", &p, &e);
	if (st != LT_OK)
		fail_msg("policy: %s:%llu: %s", e.file, (unsigned long long)e.line, e.msg);
	return p;
}

static lt_error load_error(const char *yaml)
{
	policy *p = NULL;
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(policy_parse(yaml, strlen(yaml), "p.yaml", &p, &e), LT_EFILE);
	assert_null(p);
	assert_string_equal(e.file, "p.yaml");
	return e;
}

/* A control of one type: "- id: C1 / title / rationale / type" plus params. */
static policy *one(const char *type, const char *params)
{
	char y[4096];
	snprintf(y, sizeof y,
	         "controls:\n  - id: C1\n    title: T\n    rationale: R\n    type: %s\n%s", type, params);
	return load(y);
}

typedef struct fx {
	arena *a;
	event ev;
} fx;

/* An invocation-log record (source "invocation") or a CloudTrail runtime
 * call; doc_json may be NULL. */
static event *mk(fx *f, ev_source src, const char *action, const char *principal, const char *model,
                       const char *region, int64_t t, const char *doc_json)
{
	event *ev = &f->ev;
	event_init(ev);
	ev->source = src;
	ev->time_us = t;
	ev->action = ev_str_from(action, strlen(action));
	const char *svc = src == EV_SRC_CLOUDTRAIL ? "bedrock.amazonaws.com" : "bedrock";
	ev->service = ev_str_from(svc, strlen(svc));
	ev->principal = ev_str_from(principal, strlen(principal));
	ev->model = ev_str_from(model, strlen(model));
	ev->region = ev_str_from(region, strlen(region));
	ev->uid = ev_str_from("uid-1", 5);
	if (doc_json != NULL) {
		json_value *v = NULL;
		assert_int_equal(json_parse(f->a, doc_json, strlen(doc_json), NULL, &v, NULL, NULL), LT_OK);
		ev->doc = v;
	}
	return ev;
}

static void add(controls *c, const event *ev)
{
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(controls_add(c, ev, &e), LT_OK);
}

static const rpt_control *finish(controls *c, report *r)
{
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(controls_add_to_report(c, r, &e), LT_OK);
	assert_true(report_ncontrols(r) >= 1);
	return report_control(r, 0);
}

#define INV EV_SRC_INVOCATION
#define CT EV_SRC_CLOUDTRAIL
#define ROLE "arn:aws:sts::111122223333:assumed-role/app-role/session-1"
#define HAIKU "anthropic.claude-3-haiku-20240307-v1:0"

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	f->a = arena_new(0, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	arena_free(f->a);
	free(f);
	return 0;
}

/* ---- policy file ---------------------------------------------------------- */

static void policy__every_type__loaded(void **state)
{
	(void)state;
	policy *p = load("name: Acme\n"
	                 "controls:\n"
	                 "  - {id: A, title: t, rationale: r, type: approved-models, models: [m1]}\n"
	                 "  - {id: B, title: t, rationale: r, type: approved-regions, regions: us-east-1}\n"
	                 "  - {id: C, title: t, rationale: r, type: allowed-principals, principals: ['*']}\n"
	                 "  - {id: D, title: t, rationale: r, type: guardrail-required, principals: [x], guardrail: {id: g, version: '2'}}\n"
	                 "  - {id: E, title: t, rationale: r, type: no-root-or-access-keys}\n"
	                 "  - {id: F, title: t, rationale: r, type: budget, max_tokens_per_day: 10}\n"
	                 "  - {id: G, title: t, rationale: r, type: logging-coverage}\n"
	                 "  - {id: H, title: t, rationale: r, type: digest-chain}\n"
	                 "  - {id: I, title: t, rationale: r, type: max-disclosure-level, level: low}\n"
	                 "  - {id: J, title: t, rationale: r, type: max-incident-level, level: high,\n"
	                 "     mappings: {iso42001: [A.1, A.2], soc2: CC7.2, internal: X-9}}\n"
	                 "  - {id: K, title: t, rationale: r, type: text-delivery}\n");
	assert_string_equal(policy_name(p), "Acme");
	assert_int_equal(policy_ncontrols(p), 11);
	for (size_t i = 0; i < 11; i++)
		assert_int_equal(policy_control_at(p, i)->kind, (policy_kind)i);
	const policy_control *d = policy_control_at(p, 3);
	assert_string_equal(d->guardrail_id, "g");
	assert_string_equal(d->guardrail_version, "2");
	const policy_control *f = policy_control_at(p, 5);
	assert_int_equal(f->max_tokens, 10);
	assert_int_equal(f->max_invocations, -1);
	const policy_control *j = policy_control_at(p, 9);
	assert_int_equal(j->level, RPT_LEVEL_HIGH);
	assert_int_equal(j->nmappings, 4);
	assert_memory_equal(j->mappings[0].name.p, "ISO/IEC 42001", 13);
	assert_memory_equal(j->mappings[1].value.p, "A.2", 3);
	assert_memory_equal(j->mappings[2].name.p, "SOC 2", 5);
	assert_memory_equal(j->mappings[3].name.p, "internal", 8);
	policy_free(p);
}

static void policy__inference_profile__normalised(void **state)
{
	(void)state;
	policy *p = one("approved-models", "    models: [us.anthropic.claude-3-haiku-20240307-v1:0,\n"
	                                    "      'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1']\n");
	const policy_control *c = policy_control_at(p, 0);
	assert_string_equal(c->values[0], HAIKU);
	assert_string_equal(c->values[1], "amazon.titan-text-express-v1");
	policy_free(p);
}

static void policy__unknown_key__error_names_line(void **state)
{
	(void)state;
	lt_error e = load_error("controls:\n  - id: A\n    title: t\n    rationale: r\n    type: approved-models\n"
	                        "    models: [m]\n    modles: [n]\n");
	assert_int_equal(e.line, 7);
	assert_non_null(strstr(e.msg, "unknown key 'modles'"));
}

static void policy__parameter_of_other_type__error(void **state)
{
	(void)state;
	lt_error e = load_error("controls:\n  - id: A\n    title: t\n    rationale: r\n    type: approved-regions\n"
	                        "    regions: [us-east-1]\n    level: high\n");
	assert_int_equal(e.line, 7);
	assert_non_null(strstr(e.msg, "does not apply"));
}

static void policy__missing_parameter__error(void **state)
{
	(void)state;
	lt_error e = load_error("controls:\n  - id: A\n    title: t\n    rationale: r\n    type: budget\n");
	assert_int_equal(e.line, 2);
	assert_non_null(strstr(e.msg, "missing its parameters"));
}

static void policy__unknown_type__error(void **state)
{
	(void)state;
	lt_error e = load_error("controls:\n  - id: A\n    title: t\n    rationale: r\n    type: approved-colours\n");
	assert_int_equal(e.line, 5);
	assert_non_null(strstr(e.msg, "approved-colours"));
}

static void policy__duplicate_id__error(void **state)
{
	(void)state;
	lt_error e = load_error("controls:\n  - {id: A, title: t, rationale: r, type: digest-chain}\n"
	                        "  - {id: A, title: t, rationale: r, type: logging-coverage}\n");
	assert_int_equal(e.line, 3);
	assert_non_null(strstr(e.msg, "duplicate control id 'A'"));
}

static void policy__missing_rationale__error(void **state)
{
	(void)state;
	lt_error e = load_error("controls:\n  - {id: A, title: t, type: digest-chain}\n");
	assert_non_null(strstr(e.msg, "rationale"));
}

static void policy__bad_values__error(void **state)
{
	(void)state;
	lt_error e = load_error("controls:\n  - {id: A, title: t, rationale: r, type: budget, max_tokens_per_day: -5}\n");
	assert_non_null(strstr(e.msg, "whole number"));
	e = load_error("controls:\n  - {id: A, title: t, rationale: r, type: max-incident-level, level: severe}\n");
	assert_non_null(strstr(e.msg, "level"));
	e = load_error("controls:\n  - {id: A, title: t, rationale: r, type: approved-models, models: []}\n");
	assert_non_null(strstr(e.msg, "list"));
	e = load_error("controls: []\n");
	assert_int_equal(e.line, 1);
}

static void policy__broken_yaml__error_names_line(void **state)
{
	(void)state;
	lt_error e = load_error("controls:\n  - id: A\n    title: [unclosed\n");
	assert_true(e.line >= 3);
}

static void policy__principal_glob__matches_role_and_name(void **state)
{
	(void)state;
	const char *p = ROLE;
	assert_true(policy_principal_match("arn:aws:iam::111122223333:role/app-role", p, strlen(p)));
	assert_true(policy_principal_match("arn:aws:iam::*:role/app-*", p, strlen(p)));
	assert_true(policy_principal_match("app-role", p, strlen(p)));
	assert_true(policy_principal_match(ROLE, p, strlen(p)));
	assert_false(policy_principal_match("arn:aws:iam::111122223333:role/other", p, strlen(p)));
	assert_false(policy_principal_match("app", p, strlen(p)));
	const char *u = "arn:aws:iam::111122223333:user/svc-ci";
	assert_true(policy_principal_match("svc-*", u, strlen(u)));
	assert_false(policy_principal_match("arn:aws:iam::111122223333:role/svc-ci", u, strlen(u)));
	assert_false(policy_principal_match("*", "", 0));
}

/* ---- per-event controls ---------------------------------------------------- */

static void approved_models__unapproved_model__fail_with_evidence(void **state)
{
	fx *f = *state;
	policy *p = one("approved-models", "    models: [us.anthropic.claude-3-haiku-20240307-v1:0]\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0, NULL));
	add(c, mk(f, INV, "InvokeModel", ROLE, "anthropic.claude-3-opus-20240229-v1:0", "us-east-1", T0 + HOUR_US, NULL));
	add(c, mk(f, INV, "InvokeModel", ROLE, "anthropic.claude-3-opus-20240229-v1:0", "us-east-1", T0 + 25 * HOUR_US, NULL));
	add(c, mk(f, INV, "InvokeModel", ROLE, "anthropic.claude-3-opus-20240229-v1:0", "us-east-1", T0 + 26 * HOUR_US, NULL));
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_FAIL);
	assert_int_equal(rc->checked, 4);
	assert_int_equal(rc->violations, 3);
	assert_int_equal(rc->examples.n, 3);
	assert_non_null(strstr(rc->examples.v[0].p, "2026-03-10T01:00:00Z unapproved model: anthropic.claude-3-opus"));
	assert_string_equal(rc->worst_day.p, "2026-03-11");
	assert_int_equal(rc->worst_day_violations, 2);
	assert_memory_equal(rc->kind.p, "approved-models", 15);
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void approved_models__all_approved__pass(void **state)
{
	fx *f = *state;
	policy *p = one("approved-models", "    models: [" HAIKU "]\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0, NULL));
	add(c, mk(f, CT, "Converse", ROLE, HAIKU, "us-east-1", T0, NULL)); /* the same call: not counted twice */
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_PASS);
	assert_int_equal(rc->checked, 1);
	assert_non_null(strstr(rc->detail.p, "all 1 invocation-log records comply"));
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void approved_models__no_invocation__not_applicable(void **state)
{
	fx *f = *state;
	policy *p = one("approved-models", "    models: [" HAIKU "]\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	add(c, mk(f, CT, "ListFoundationModels", ROLE, "", "us-east-1", T0, NULL)); /* not an invocation */
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_NOT_APPLICABLE);
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void approved_models__cloudtrail_only__judged_on_cloudtrail(void **state)
{
	fx *f = *state;
	policy *p = one("approved-models", "    models: [" HAIKU "]\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	add(c, mk(f, CT, "InvokeModel", ROLE, "meta.llama3-1-405b-instruct-v1:0", "us-east-1", T0, NULL));
	event *ev = &f->ev; /* a refused call never reached a model: not an invocation */
	ev->error_code = ev_str_from("AccessDenied", 12);
	add(c, ev);
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_FAIL);
	assert_int_equal(rc->checked, 1);
	assert_non_null(strstr(rc->detail.p, "CloudTrail runtime calls"));
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void approved_regions__other_region__fail(void **state)
{
	fx *f = *state;
	policy *p = one("approved-regions", "    regions: [us-east-1]\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0, NULL));
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "ap-southeast-2", T0, NULL));
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_FAIL);
	assert_int_equal(rc->violations, 1);
	assert_non_null(strstr(rc->examples.v[0].p, "region ap-southeast-2"));
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void allowed_principals__unlisted_user__fail(void **state)
{
	fx *f = *state;
	policy *p = one("allowed-principals", "    principals: ['arn:aws:iam::111122223333:role/app-role']\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0, NULL));
	add(c, mk(f, INV, "InvokeModel", "arn:aws:iam::111122223333:user/svc-ci-deploy", HAIKU, "us-east-1", T0, NULL));
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_FAIL);
	assert_int_equal(rc->violations, 1);
	assert_non_null(strstr(rc->examples.v[0].p, "user/svc-ci-deploy"));
	report_free(r);
	controls_free(c);
	policy_free(p);
}

#define GR_CONVERSE "{\"input\":{\"inputBodyJson\":{\"guardrailConfig\":{\"guardrailIdentifier\":\"%s\",\"guardrailVersion\":\"%s\"}}}}"

static void guardrail__converse_without_config__fail(void **state)
{
	fx *f = *state;
	policy *p = one("guardrail-required", "    principals: [app-role]\n    guardrail: {id: gr1, version: '3'}\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	char doc[512];
	snprintf(doc, sizeof doc, GR_CONVERSE, "gr1", "3");
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0, doc));
	snprintf(doc, sizeof doc, GR_CONVERSE, "arn:aws:bedrock:us-east-1:111122223333:guardrail/gr1", "3");
	add(c, mk(f, INV, "ConverseStream", ROLE, HAIKU, "us-east-1", T0 + 1, doc));
	snprintf(doc, sizeof doc, GR_CONVERSE, "gr1", "2"); /* wrong version */
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0 + 2, doc));
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0 + 3, "{\"input\":{}}"));
	add(c, mk(f, INV, "Converse", "arn:aws:iam::111122223333:user/other", HAIKU, "us-east-1", T0, "{}")); /* not named */
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_FAIL);
	assert_int_equal(rc->checked, 4);
	assert_int_equal(rc->violations, 2);
	assert_non_null(strstr(rc->examples.v[0].p, "without the required guardrail"));
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void guardrail__invoke_model__judged_on_cloudtrail(void **state)
{
	fx *f = *state;
	policy *p = one("guardrail-required", "    principals: [app-role]\n    guardrail: any\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	/* InvokeModel: CloudTrail records the guardrail header; its invocation record does not */
	add(c, mk(f, CT, "InvokeModel", ROLE, HAIKU, "us-east-1", T0,
	          "{\"requestParameters\":{\"modelId\":\"m\",\"guardrailIdentifier\":\"g\",\"guardrailVersion\":\"1\"}}"));
	add(c, mk(f, INV, "InvokeModel", ROLE, HAIKU, "us-east-1", T0, "{\"input\":{}}"));
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_PASS);
	assert_int_equal(rc->checked, 1);
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void guardrail__shown_without_id__not_evaluable(void **state)
{
	fx *f = *state;
	policy *p = one("guardrail-required", "    principals: [app-role]\n    guardrail: {id: gr1}\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	event *ev = mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0, "{\"input\":{}}");
	ev->guardrail_action = ev_str_from("INTERVENED", 10);
	add(c, ev);
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_NOT_EVALUABLE);
	assert_non_null(strstr(rc->detail.p, "without its id"));
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void guardrail__converse_only_in_cloudtrail__not_evaluable(void **state)
{
	fx *f = *state;
	policy *p = one("guardrail-required", "    principals: [app-role]\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	add(c, mk(f, CT, "Converse", ROLE, HAIKU, "us-east-1", T0, "{\"requestParameters\":{\"modelId\":\"m\"}}"));
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_NOT_EVALUABLE);
	assert_non_null(strstr(rc->detail.p, "no invocation-log record"));
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void no_root__long_term_key_and_root__fail(void **state)
{
	fx *f = *state;
	policy *p = one("no-root-or-access-keys", "");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	event *ev = mk(f, CT, "InvokeModel", ROLE, HAIKU, "us-east-1", T0, "{\"userIdentity\":{\"type\":\"AssumedRole\"}}");
	ev->access_key = ev_str_from("ASIAEXAMPLE", 11);
	add(c, ev);
	ev = mk(f, CT, "InvokeModel", "arn:aws:iam::111122223333:user/ci", HAIKU, "us-east-1", T0 + 1, "{}");
	ev->access_key = ev_str_from("AKIAEXAMPLE", 11);
	add(c, ev);
	add(c, mk(f, CT, "Converse", "arn:aws:iam::111122223333:root", HAIKU, "us-east-1", T0 + 2, "{\"userIdentity\":{\"type\":\"Root\"}}"));
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_FAIL);
	assert_int_equal(rc->checked, 3);
	assert_int_equal(rc->violations, 2);
	assert_non_null(strstr(rc->examples.v[0].p, "long-term access key"));
	assert_non_null(strstr(rc->examples.v[1].p, "root user"));
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void no_root__invocation_log_only__not_evaluable(void **state)
{
	fx *f = *state;
	policy *p = one("no-root-or-access-keys", "");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0, NULL));
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_NOT_EVALUABLE);
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void budget__over_tokens__fail_names_day(void **state)
{
	fx *f = *state;
	policy *p = one("budget", "    max_tokens_per_day: 1000\n    max_invocations_per_day: 2\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	event *ev = mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0, NULL);
	ev->input_tokens = 600;
	ev->output_tokens = 500; /* 1100 > 1000 on day 1 */
	add(c, ev);
	ev = mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0 + 24 * HOUR_US, NULL);
	ev->input_tokens = 10;
	add(c, ev);
	add(c, ev);
	add(c, ev); /* 3 invocations > 2 on day 2 */
	ev = mk(f, INV, "Converse", "arn:aws:iam::111122223333:user/other", HAIKU, "us-east-1", T0, NULL);
	add(c, ev);
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_FAIL);
	assert_int_equal(rc->checked, 3); /* principal-days */
	assert_int_equal(rc->violations, 2);
	assert_string_equal(rc->examples.v[0].p, "2026-03-10 " ROLE ": 1100 tokens (limit 1000), 1 invocations");
	assert_string_equal(rc->examples.v[1].p, "2026-03-11 " ROLE ": 30 tokens, 3 invocations (limit 2)");
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void budget__within__pass(void **state)
{
	fx *f = *state;
	policy *p = one("budget", "    max_invocations_per_day: 5\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0, NULL));
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_PASS);
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void budget__cloudtrail_only__not_evaluable(void **state)
{
	fx *f = *state;
	policy *p = one("budget", "    max_tokens_per_day: 5\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	add(c, mk(f, CT, "InvokeModel", ROLE, HAIKU, "us-east-1", T0, NULL));
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_NOT_EVALUABLE);
	assert_non_null(strstr(rc->detail.p, "token counts"));
	report_free(r);
	controls_free(c);
	policy_free(p);
}

/* ---- evidence-level controls ------------------------------------------------ */

/* text-delivery: a Put turning text delivery off and a record without its
 * bodies fail it; a configuration with it on and records with bodies (inline
 * or in S3) pass; nothing to judge is not evaluable. */
static void text_delivery__off_and_bodiless__fail_on__pass(void **state)
{
	fx *f = *state;
	policy *p = one("text-delivery", "");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	event *ev = mk(f, CT, "PutModelInvocationLoggingConfiguration", ROLE, "", "us-east-1", T0,
	               "{\"requestParameters\":{\"loggingConfig\":{\"textDataDeliveryEnabled\":false}}}");
	assert_true(controls_wants_record(c, ev));
	add(c, ev);
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0 + 1, "{\"input\":{\"inputTokenCount\":3},\"output\":{}}"));
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0 + 2,
	          "{\"input\":{\"inputBodyJson\":{}},\"output\":{\"outputBodyJson\":{}}}"));
	ev = mk(f, INV, "InvokeModel", ROLE, HAIKU, "us-east-1", T0 + 3, "{\"input\":{},\"output\":{}}");
	ev->input_body_ref = ev_str_from("s3://b/in.json", 14); /* a large body, delivered to S3 */
	add(c, ev);
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_FAIL);
	assert_int_equal(rc->checked, 4);
	assert_int_equal(rc->violations, 2);
	assert_non_null(strstr(rc->detail.p, "1 of 1 logging configuration call(s) in CloudTrail turn text delivery off; "
	                                      "1 of 3 invocation-log records without their prompt and answer; "
	                                      "the latest configuration (2026-03-10T00:00:00Z) has it off"));
	assert_non_null(strstr(rc->examples.v[0].p, "PutModelInvocationLoggingConfiguration by " ROLE ": text delivery disabled"));
	assert_non_null(strstr(rc->examples.v[1].p, "record without its prompt and answer"));
	report_free(r);
	controls_free(c);

	c = controls_new(p);
	r = report_new(NULL);
	add(c, mk(f, CT, "GetModelInvocationLoggingConfiguration", ROLE, "", "us-east-1", T0,
	          "{\"responseElements\":{\"loggingConfig\":{\"textDataDeliveryEnabled\":true}}}"));
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0 + 2,
	          "{\"input\":{\"inputBodyJson\":{}},\"output\":{\"outputBodyJson\":{}}}"));
	rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_PASS);
	assert_non_null(strstr(rc->detail.p, "has it on"));
	report_free(r);
	controls_free(c);

	c = controls_new(p);
	r = report_new(NULL);
	add(c, mk(f, CT, "GetModelInvocationLoggingConfiguration", ROLE, "", "us-east-1", T0, "{\"responseElements\":null}"));
	rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_NOT_EVALUABLE);
	assert_non_null(strstr(rc->detail.p, "no logging configuration call"));
	report_free(r);
	controls_free(c);
	policy_free(p);
}

/* budget with tag: the (day, principal) sums are summed per value of the
 * principal tag CloudTrail showed for each principal (sessionContext.
 * principalTags), untagged principals together; without any tag seen the
 * control is not evaluable. */
static void budget__per_tag__summed_by_value_untagged_apart(void **state)
{
	fx *f = *state;
	policy *p = one("budget", "    max_invocations_per_day: 2\n    tag: team\n");
	assert_string_equal(policy_control_at(p, 0)->tag, "team");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	const char *alice = "arn:aws:sts::111122223333:assumed-role/app-role/alice";
	const char *bob = "arn:aws:sts::111122223333:assumed-role/app-role/bob";
	const char *carol = "arn:aws:sts::111122223333:assumed-role/app-role/carol";
	event *ev = mk(f, CT, "ListFoundationModels", alice, "", "us-east-1", T0,
	               "{\"userIdentity\":{\"sessionContext\":{\"principalTags\":{\"team\":\"search\"}}}}");
	assert_true(controls_wants_record(c, ev));
	add(c, ev);
	add(c, mk(f, CT, "ListFoundationModels", bob, "", "us-east-1", T0 + 1,
	          "{\"userIdentity\":{\"sessionContext\":{\"principalTags\":{\"team\":\"search\"}}}}"));
	add(c, mk(f, INV, "Converse", alice, HAIKU, "us-east-1", T0 + 2, NULL));
	add(c, mk(f, INV, "Converse", alice, HAIKU, "us-east-1", T0 + 3, NULL));
	add(c, mk(f, INV, "Converse", bob, HAIKU, "us-east-1", T0 + 4, NULL)); /* team search: 3 > 2 */
	add(c, mk(f, INV, "Converse", carol, HAIKU, "us-east-1", T0 + 5, NULL));
	add(c, mk(f, INV, "Converse", carol, HAIKU, "us-east-1", T0 + 6, NULL)); /* untagged: 2, within */
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_FAIL);
	assert_int_equal(rc->violations, 1);
	assert_int_equal(rc->checked, 2);
	assert_non_null(strstr(rc->examples.v[0].p, "2026-03-10 team=search: 0 tokens, 3 invocations (limit 2)"));
	assert_non_null(strstr(rc->detail.p, "2 principal(s) tagged in CloudTrail (others count as (untagged))"));
	report_free(r);
	controls_free(c);

	c = controls_new(p);
	r = report_new(NULL);
	add(c, mk(f, INV, "Converse", alice, HAIKU, "us-east-1", T0 + 2, NULL));
	rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_NOT_EVALUABLE);
	assert_non_null(strstr(rc->detail.p, "no CloudTrail event shows principal tag 'team'"));
	report_free(r);
	controls_free(c);
	policy_free(p);

	lt_error e = load_error("controls:\n  - {id: A, title: t, rationale: r, type: approved-regions, regions: [x], tag: team}\n");
	assert_non_null(strstr(e.msg, "'tag' does not apply to a control of type 'approved-regions'"));
}

static void coverage__one_source_only__not_evaluable(void **state)
{
	(void)state;
	policy *p = one("logging-coverage", "");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(controls_note_integrity(c, NULL, NULL, &e), LT_OK);
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_NOT_EVALUABLE);
	assert_non_null(strstr(rc->detail.p, "needs both"));
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void digest_chain__no_digest__not_evaluable(void **state)
{
	(void)state;
	policy *p = one("digest-chain", "");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	const rpt_control *rc = finish(c, r); /* the integrity checks did not run */
	assert_int_equal(rc->status, RPT_CONTROL_NOT_EVALUABLE);
	report_free(r);
	controls_free(c);
	c = controls_new(p); /* ran, over a case without digests */
	r = report_new(NULL);
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(controls_note_integrity(c, NULL, NULL, &e), LT_OK);
	rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_NOT_EVALUABLE);
	assert_non_null(strstr(rc->detail.p, "no CloudTrail digest"));
	report_free(r);
	controls_free(c);
	policy_free(p);
}

/* ---- findings and incidents ---------------------------------------------------- */

static size_t rule(report *r, const char *pack, const char *id, rpt_level level)
{
	rpt_rule_in ri;
	memset(&ri, 0, sizeof ri);
	ri.pack = pack;
	ri.id = id;
	ri.title = id;
	ri.level = level;
	size_t idx = 0;
	assert_int_equal(report_add_rule(r, &ri, &idx, NULL), LT_OK);
	return idx;
}

static void hit(report *r, size_t ru, int64_t t)
{
	rpt_event_in e;
	rpt_event_init(&e);
	e.uid = rpt_s("u1");
	e.time_us = t;
	e.source = rpt_s("invocation");
	assert_int_equal(report_add_hit(r, ru, NULL, 0, &e, NULL, 0, NULL), LT_OK);
}

static void disclosure__finding_above_level__fail(void **state)
{
	(void)state;
	policy *p = one("max-disclosure-level", "    level: medium\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	size_t low = rule(r, "disclosure", "phone-numbers", RPT_LEVEL_LOW);
	size_t high = rule(r, "disclosure", "aws-key", RPT_LEVEL_HIGH);
	size_t other = rule(r, "llmjacking", "burst", RPT_LEVEL_CRITICAL);
	hit(r, low, T0);
	hit(r, high, T0 + HOUR_US * 3);
	hit(r, other, T0);
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_FAIL);
	assert_int_equal(rc->checked, 2);
	assert_int_equal(rc->violations, 1);
	assert_non_null(strstr(rc->examples.v[0].p, "aws-key (high)"));
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void disclosure__no_rule_ran__not_evaluable(void **state)
{
	(void)state;
	policy *p = one("max-disclosure-level", "    level: high\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	size_t na = rule(r, "disclosure", "aws-key", RPT_LEVEL_HIGH);
	assert_int_equal(report_set_rule_outcome(r, na, RPT_NOT_APPLICABLE, "no invocation logs", NULL), LT_OK);
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->status, RPT_CONTROL_NOT_EVALUABLE);
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void add_incident(report *r, rpt_level level, const char *id)
{
	rpt_incident in;
	memset(&in, 0, sizeof in);
	in.id = rpt_s(id);
	in.title = rpt_s("Something happened");
	in.level = level;
	in.first_us = in.last_us = T0;
	in.input_tokens = in.output_tokens = -1;
	in.cost_usd = -1;
	assert_int_equal(report_add_incident(r, &in, NULL), LT_OK);
}

static void incident__above_level__fail_and_within__pass(void **state)
{
	(void)state;
	policy *p = load("controls:\n  - {id: A, title: t, rationale: r, type: max-incident-level, level: high}\n"
	                 "  - {id: B, title: t, rationale: r, type: max-incident-level, level: critical}\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	add_incident(r, RPT_LEVEL_CRITICAL, "INC-1");
	add_incident(r, RPT_LEVEL_HIGH, "INC-2");
	finish(c, r);
	assert_int_equal(report_control(r, 0)->status, RPT_CONTROL_FAIL);
	assert_int_equal(report_control(r, 0)->violations, 1);
	assert_non_null(strstr(report_control(r, 0)->examples.v[0].p, "INC-1 (critical"));
	assert_int_equal(report_control(r, 1)->status, RPT_CONTROL_PASS);
	assert_int_equal(report_control(r, 1)->checked, 2);
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void evidence_problem__pass__not_evaluable_fail_stays(void **state)
{
	fx *f = *state;
	policy *p = load("controls:\n  - {id: A, title: t, rationale: r, type: approved-regions, regions: us-east-1}\n"
	                 "  - {id: B, title: t, rationale: r, type: approved-regions, regions: eu-west-1}\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	assert_int_equal(report_add_problem(r, "ev.tar", "m.json.gz", 0, RPT_SEV_ERROR, "truncated gzip", NULL), LT_OK);
	add(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0, NULL));
	finish(c, r);
	assert_int_equal(report_control(r, 0)->status, RPT_CONTROL_NOT_EVALUABLE);
	assert_non_null(strstr(report_control(r, 0)->detail.p, "1 evidence problem: what was not read was not checked"));
	assert_int_equal(report_control(r, 1)->status, RPT_CONTROL_FAIL);
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void wants_record__invocations_when_a_control_reads_it(void **state)
{
	fx *f = *state;
	policy *p = one("guardrail-required", "    principals: [app-role]\n");
	controls *c = controls_new(p);
	assert_true(controls_wants_record(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0, NULL)));
	assert_false(controls_wants_record(c, mk(f, CT, "ListFoundationModels", ROLE, "", "us-east-1", T0, NULL)));
	assert_false(controls_wants_record(NULL, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0, NULL)));
	controls_free(c);
	policy_free(p);
	p = one("approved-regions", "    regions: [us-east-1]\n"); /* the header suffices */
	c = controls_new(p);
	assert_false(controls_wants_record(c, mk(f, INV, "Converse", ROLE, HAIKU, "us-east-1", T0, NULL)));
	controls_free(c);
	policy_free(p);
}

/* ---- bounds and the verdict ------------------------------------------------------ */

static void examples__capped__all_counted(void **state)
{
	fx *f = *state;
	policy *p = one("approved-regions", "    regions: [us-east-1]\n");
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	for (int i = 0; i < 1000; i++)
		add(c, mk(f, INV, "Converse", ROLE, HAIKU, "eu-west-1", T0 + i * 1000000LL, NULL));
	const rpt_control *rc = finish(c, r);
	assert_int_equal(rc->violations, 1000);
	assert_int_equal(rc->examples.n, RPT_CONTROL_EXAMPLES);
	report_free(r);
	controls_free(c);
	policy_free(p);
}

static void verdict__failed_control__fails_only_with_fail_on_control(void **state)
{
	(void)state;
	for (int gate = 0; gate < 2; gate++) {
		rpt_options o;
		rpt_options_default(&o);
		o.fail_on_control = gate;
		report *r = report_new(&o);
		rpt_event_in e;
		rpt_event_init(&e);
		e.time_us = T0;
		e.source = rpt_s("invocation");
		assert_int_equal(report_note_event(r, &e, NULL), LT_OK);
		rpt_control rc;
		memset(&rc, 0, sizeof rc);
		rc.id = rpt_s("C1");
		rc.status = RPT_CONTROL_FAIL;
		assert_int_equal(report_add_control(r, &rc, NULL), LT_OK);
		assert_int_equal(report_ncontrols_failed(r), 1);
		assert_int_equal(report_verdict(r), gate ? RPT_VERDICT_FAIL : RPT_VERDICT_PASS);
		char reason[256];
		report_verdict_reason(r, reason, sizeof reason);
		assert_non_null(strstr(reason, gate ? "1 control failed (--fail-on-control)" : "not gating"));
		report_free(r);
	}
}

/* Everything a control shows comes from the policy or the evidence: a
 * principal named like markup must reach no writer as markup. */
static char *written(report_writer w, const report *r)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);
	assert_non_null(f);
	assert_int_equal(w(r, f, NULL), LT_OK);
	fclose(f);
	return text;
}

static void writers__hostile_strings__escaped(void **state)
{
	fx *f = *state;
	policy *p = one("allowed-principals", "    principals: [nobody]\n    mappings: {'<b>fw</b>': '\"x\" & <y>'}\n");
	controls *c = controls_new(p);
	rpt_event_in e;
	rpt_event_init(&e);
	e.time_us = T0;
	e.source = rpt_s("invocation");
	report *r = report_new(NULL);
	assert_int_equal(report_note_event(r, &e, NULL), LT_OK);
	const char *evil = "arn:aws:iam::1:user/<script>alert(1)</script>|`x`\n]]>";
	add(c, mk(f, INV, "Converse", evil, HAIKU, "us-east-1", T0, NULL));
	finish(c, r);
	char *html = written(report_write_html, r);
	assert_null(strstr(html, "<script>alert"));
	assert_null(strstr(html, "<b>fw"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)"));
	char *xml = written(report_write_junit, r);
	assert_null(strstr(xml, "<script>"));
	assert_non_null(strstr(xml, "<testsuite name=\"controls\""));
	assert_non_null(strstr(xml, "<failure type=\"control\" message=\"1 violation"));
	char *md = written(report_write_markdown, r);
	assert_null(strstr(md, "<script>"));
	assert_null(strstr(md, "|`x`"));
	char *jl = written(report_write_controls_jsonl, r);
	assert_non_null(strstr(jl, "user/<script>alert(1)</script>|`x`\\n]]>"));
	free(html);
	free(xml);
	free(md);
	free(jl);
	report_free(r);
	controls_free(c);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(policy__every_type__loaded),
		cmocka_unit_test_setup_teardown(text_delivery__off_and_bodiless__fail_on__pass, setup, teardown),
		cmocka_unit_test_setup_teardown(budget__per_tag__summed_by_value_untagged_apart, setup, teardown),
		cmocka_unit_test(policy__inference_profile__normalised),
		cmocka_unit_test(policy__unknown_key__error_names_line),
		cmocka_unit_test(policy__parameter_of_other_type__error),
		cmocka_unit_test(policy__missing_parameter__error),
		cmocka_unit_test(policy__unknown_type__error),
		cmocka_unit_test(policy__duplicate_id__error),
		cmocka_unit_test(policy__missing_rationale__error),
		cmocka_unit_test(policy__bad_values__error),
		cmocka_unit_test(policy__broken_yaml__error_names_line),
		cmocka_unit_test(policy__principal_glob__matches_role_and_name),
		cmocka_unit_test_setup_teardown(approved_models__unapproved_model__fail_with_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(approved_models__all_approved__pass, setup, teardown),
		cmocka_unit_test_setup_teardown(approved_models__no_invocation__not_applicable, setup, teardown),
		cmocka_unit_test_setup_teardown(approved_models__cloudtrail_only__judged_on_cloudtrail, setup, teardown),
		cmocka_unit_test_setup_teardown(approved_regions__other_region__fail, setup, teardown),
		cmocka_unit_test_setup_teardown(allowed_principals__unlisted_user__fail, setup, teardown),
		cmocka_unit_test_setup_teardown(guardrail__converse_without_config__fail, setup, teardown),
		cmocka_unit_test_setup_teardown(guardrail__invoke_model__judged_on_cloudtrail, setup, teardown),
		cmocka_unit_test_setup_teardown(guardrail__shown_without_id__not_evaluable, setup, teardown),
		cmocka_unit_test_setup_teardown(guardrail__converse_only_in_cloudtrail__not_evaluable, setup, teardown),
		cmocka_unit_test_setup_teardown(no_root__long_term_key_and_root__fail, setup, teardown),
		cmocka_unit_test_setup_teardown(no_root__invocation_log_only__not_evaluable, setup, teardown),
		cmocka_unit_test_setup_teardown(budget__over_tokens__fail_names_day, setup, teardown),
		cmocka_unit_test_setup_teardown(budget__within__pass, setup, teardown),
		cmocka_unit_test_setup_teardown(budget__cloudtrail_only__not_evaluable, setup, teardown),
		cmocka_unit_test(coverage__one_source_only__not_evaluable),
		cmocka_unit_test(digest_chain__no_digest__not_evaluable),
		cmocka_unit_test(disclosure__finding_above_level__fail),
		cmocka_unit_test(disclosure__no_rule_ran__not_evaluable),
		cmocka_unit_test(incident__above_level__fail_and_within__pass),
		cmocka_unit_test_setup_teardown(evidence_problem__pass__not_evaluable_fail_stays, setup, teardown),
		cmocka_unit_test_setup_teardown(wants_record__invocations_when_a_control_reads_it, setup, teardown),
		cmocka_unit_test_setup_teardown(examples__capped__all_counted, setup, teardown),
		cmocka_unit_test(verdict__failed_control__fails_only_with_fail_on_control),
		cmocka_unit_test_setup_teardown(writers__hostile_strings__escaped, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
