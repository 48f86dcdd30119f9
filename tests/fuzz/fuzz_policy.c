/*
 * fuzz_policy.c — libFuzzer target for the policy file (analyzers/policy.c)
 * and what follows from it (analyzers/controls.c, the writers' Controls
 * parts), seeded by the demo's policy and the golden case's (docs/fuzzing.md).
 * The input is a policy (YAML). When it loads, a fixed set of CloudTrail
 * calls and invocation records (principals, models, regions, keys, a
 * guardrail in the request or not, tokens) is evaluated through every
 * control, the controls are added to a report and the report is written as
 * controls.jsonl, JUnit, HTML and Markdown to /dev/null. The target aborts
 * when a loaded policy gives a report with another number of controls, or a
 * control with an unknown status or more examples than the cap.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdint.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	ev_source src;
	const char *action, *principal, *model, *region, *key, *doc;
} events[] = {
	{EV_SRC_CLOUDTRAIL, "InvokeModel", "arn:aws:iam::111122223333:user/ci", "anthropic.claude-3-opus-20240229-v1:0",
	 "us-east-1", "AKIAEXAMPLEEXAMPLE12", "{\"requestParameters\":{\"guardrailIdentifier\":\"g1\",\"guardrailVersion\":\"1\"}}"},
	{EV_SRC_CLOUDTRAIL, "Converse", "arn:aws:sts::111122223333:assumed-role/app/s", "us.anthropic.claude-3-haiku-20240307-v1:0",
	 "eu-west-1", "ASIAEXAMPLEEXAMPLE12", "{\"userIdentity\":{\"type\":\"AssumedRole\"}}"},
	{EV_SRC_CLOUDTRAIL, "InvokeModel", "arn:aws:iam::111122223333:root", "amazon.titan-text-express-v1", "us-east-1", "",
	 "{\"userIdentity\":{\"type\":\"Root\"}}"},
	{EV_SRC_INVOCATION, "Converse", "arn:aws:sts::111122223333:assumed-role/app/s", "anthropic.claude-3-haiku-20240307-v1:0",
	 "eu-west-1", "", "{\"input\":{\"inputBodyJson\":{\"guardrailConfig\":{\"guardrailIdentifier\":\"g1\",\"guardrailVersion\":\"2\"}}}}"},
	{EV_SRC_INVOCATION, "InvokeModel", "arn:aws:iam::111122223333:user/ci", "meta.llama3-1-405b-instruct-v1:0", "us-east-1", "",
	 "{\"output\":{\"outputBodyJson\":{\"trace\":{\"guardrail\":{\"inputAssessment\":{\"g2\":{}}}}}}}"},
	{EV_SRC_INVOCATION, "ConverseStream", "arn:aws:sts::111122223333:assumed-role/app/s", "<script>x</script>", "us-east-1", "",
	 "{}"},
};

static void evaluate(const policy *p)
{
	controls *c = controls_new(p);
	report *r = report_new(NULL);
	arena *a = arena_new(0, 0);
	if (c == NULL || r == NULL || a == NULL)
		abort();
	lt_error e;
	for (size_t day = 0; day < 3; day++)
		for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
			event ev;
			event_init(&ev);
			ev.source = events[i].src;
			ev.time_us = 1773100800LL * 1000000LL + (int64_t)(day * 86400 + i * 60) * 1000000LL;
			ev.action = ev_str_from(events[i].action, strlen(events[i].action));
			const char *svc = ev.source == EV_SRC_CLOUDTRAIL ? "bedrock.amazonaws.com" : "bedrock";
			ev.service = ev_str_from(svc, strlen(svc));
			ev.principal = ev_str_from(events[i].principal, strlen(events[i].principal));
			ev.model = ev_str_from(events[i].model, strlen(events[i].model));
			ev.region = ev_str_from(events[i].region, strlen(events[i].region));
			ev.access_key = ev_str_from(events[i].key, strlen(events[i].key));
			ev.input_tokens = (int64_t)(i * 1000);
			ev.output_tokens = (int64_t)day;
			json_value *doc = NULL;
			if (json_parse(a, events[i].doc, strlen(events[i].doc), NULL, &doc, NULL, NULL) != LT_OK)
				abort();
			ev.doc = doc;
			lt_error_clear(&e);
			if (controls_add(c, &ev, &e) != LT_OK)
				abort();
		}
	lt_error_clear(&e);
	if (controls_note_integrity(c, NULL, NULL, &e) != LT_OK || controls_add_to_report(c, r, &e) != LT_OK)
		abort();
	if (report_ncontrols(r) != policy_ncontrols(p))
		abort();
	for (size_t i = 0; i < report_ncontrols(r); i++) {
		const rpt_control *rc = report_control(r, i);
		if ((unsigned)rc->status > RPT_CONTROL_NOT_EVALUABLE || rc->examples.n > RPT_CONTROL_EXAMPLES ||
		    rc->examples.n > rc->violations)
			abort();
	}
	FILE *null = fopen("/dev/null", "w");
	if (null != NULL) {
		report_writer w[] = {report_write_controls_jsonl, report_write_junit, report_write_html,
		                     report_write_markdown};
		for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
			if (w[i](r, null, &e) != LT_OK)
				abort();
		fclose(null);
	}
	arena_free(a);
	report_free(r);
	controls_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	policy *p = NULL;
	lt_error e;
	lt_error_clear(&e);
	lt_status st = policy_parse((const char *)data, size, "fuzz.yaml", &p, &e);
	if (st == LT_OK) {
		if (p == NULL || policy_ncontrols(p) == 0)
			abort();
		evaluate(p);
	} else if (p != NULL || st == LT_EITEM)
		abort();
	policy_free(p);
	return 0;
}
