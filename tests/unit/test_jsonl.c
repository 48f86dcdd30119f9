/*
 * test_jsonl.c — the findings.jsonl writer (reports/jsonl.c): an exact line,
 * every line of a hostile report parses as strict JSON (ingest/json.h) with
 * the documented keys, and values round-trip byte for byte.
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

#include "ingest/json.h"
#include "reports/jsonl.h"
#include "tests/unit/report_fixture.h"

static char *render(const report *r)
{
	lt_status st = LT_EFATAL;
	char *out = fixture_render(report_write_jsonl, r, &st);
	assert_int_equal(st, LT_OK);
	assert_non_null(out);
	return out;
}

static void jsonl__one_finding__exact_line(void **state)
{
	(void)state;
	rpt_options o;
	rpt_options_default(&o);
	o.max_events = 1;
	report *r = report_new(&o);
	const char *tags[] = {"attack.t1078"};
	rpt_rule_in ri;
	memset(&ri, 0, sizeof ri);
	ri.pack = "core";
	ri.id = "r1";
	ri.title = "Title \"q\"";
	ri.level = RPT_LEVEL_MEDIUM;
	ri.status = "test";
	ri.description = "line1\nline2";
	ri.tags = tags;
	ri.ntags = 1;
	size_t k;
	assert_int_equal(report_add_rule(r, &ri, &k, NULL), LT_OK);
	rpt_event_in e;
	rpt_event_init(&e);
	e.time_us = FIXTURE_RUN_US;
	e.source = rpt_s("cloudtrail");
	e.uid = rpt_s("ev-1");
	e.action = rpt_s("InvokeModel");
	e.principal = rpt_s("arn:a");
	e.source_ip = rpt_s("10.0.0.1");
	e.account = rpt_s("111122223333");
	e.region = rpt_s("us-east-1");
	e.evidence = rpt_s("e.tar");
	e.member = rpt_s("m.json");
	e.line = 7;
	e.member_sha256 = rpt_s("abcd");
	rpt_pair g = {rpt_s("principal"), rpt_s("arn:a")};
	rpt_match_in m = {rpt_s("eventName"), rpt_s("InvokeModel"), 0, 6, false};
	assert_int_equal(report_add_hit(r, k, &g, 1, &e, &m, 1, NULL), LT_OK);
	e.uid = rpt_s("ev-2");
	e.time_us += 1000000;
	assert_int_equal(report_add_hit(r, k, &g, 1, &e, &m, 1, NULL), LT_OK);
	char *out = render(r);
	assert_string_equal(out,
	        "{\"id\":\"F-bb451003f20c\",\"rule\":{\"id\":\"r1\",\"title\":\"Title \\\"q\\\"\",\"level\":\"medium\","
	        "\"pack\":\"core\",\"status\":\"test\",\"description\":\"line1\\nline2\",\"tags\":[\"attack.t1078\"]},"
	        "\"confidence\":null,\"level_reason\":\"\",\"first_seen\":\"2024-05-01T12:00:00.000000Z\",\"last_seen\":\"2024-05-01T12:00:01.000000Z\","
	        "\"accounts\":[\"111122223333\"],\"regions\":[\"us-east-1\"],"
	        "\"group\":{\"principal\":\"arn:a\"},\"count\":2,\"event_uids\":[\"ev-1\",\"ev-2\"],\"event_uids_omitted\":0,"
	        "\"events_omitted\":1,\"events\":[{\"uid\":\"ev-1\","
	        "\"time\":\"2024-05-01T12:00:00.000000Z\",\"source\":\"cloudtrail\",\"action\":\"InvokeModel\","
	        "\"principal\":\"arn:a\",\"source_ip\":\"10.0.0.1\",\"access_key\":\"\",\"account\":\"111122223333\","
	        "\"region\":\"us-east-1\",\"user_agent\":\"\","
	        "\"request_id\":\"\",\"caller_from_cloudtrail\":false,\"credential\":\"\",\"file\":\"e.tar\",\"member\":\"m.json\","
	        "\"line\":7,\"member_sha256\":\"abcd\",\"matches\":[{\"field\":\"eventName\",\"excerpt\":"
	        "\"InvokeModel\",\"excerpt_match\":[0,6],\"offsets\":[0,6],\"value_length\":11,"
	        "\"redacted\":false}],\"matches_omitted\":0}]}\n");
	free(out);
	report_free(r);
}

static const char *const keys[] = {"id", "rule", "confidence", "level_reason", "first_seen", "last_seen", "accounts", "regions", "group", "count", "event_uids", "event_uids_omitted", "events_omitted", "events"};

static void jsonl__hostile__each_line_strict_json(void **state)
{
	(void)state;
	report *r = fixture_hostile();
	char *out = render(r);
	arena *a = arena_new(0, 0);
	size_t lines = 0;
	json_options opts = {JSON_STRICT_UTF8, 0};
	for (char *line = out; *line;) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		json_value *v = NULL;
		lt_error err;
		assert_int_equal(json_parse(a, line, (size_t)(nl - line), &opts, &v, NULL, &err), LT_OK);
		assert_int_equal(v->type, JSON_OBJECT);
		assert_int_equal(v->len, sizeof keys / sizeof keys[0]);
		for (size_t i = 0; i < v->len; i++)
			assert_memory_equal(v->u.members[i].key, keys[i], strlen(keys[i]));
		const json_value *ev = json_get(v, "events");
		assert_int_equal(ev->type, JSON_ARRAY);
		assert_true(ev->len >= 1);
		const char *ek[] = {"uid", "time", "source", "file", "member", "line"};
		for (size_t i = 0; i < sizeof ek / sizeof ek[0]; i++)
			assert_non_null(json_get(&ev->u.items[0], ek[i]));
		assert_non_null(json_get_path(v, "rule.id"));
		assert_non_null(json_get_path(v, "rule.level"));
		arena_reset(a);
		lines++;
		line = nl + 1;
	}
	assert_int_equal(lines, report_nfindings(r));
	assert_null(strstr(out, "AKIAIOSFODNN7EXAMPLE"));
	arena_free(a);
	free(out);
	report_free(r);
}

static void jsonl__random_strings__strict_json(void **state)
{
	(void)state;
	arena *a = arena_new(0, 0);
	json_options opts = {JSON_STRICT_UTF8, 0};
	for (uint32_t seed = 1; seed <= 40; seed++) {
		report *r = fixture_random(seed);
		assert_non_null(r);
		char *out = render(r);
		size_t lines = 0;
		for (char *line = out; *line; lines++) {
			char *nl = strchr(line, '\n');
			assert_non_null(nl);
			json_value *v = NULL;
			assert_int_equal(json_parse(a, line, (size_t)(nl - line), &opts, &v, NULL, NULL), LT_OK);
			assert_int_equal(v->len, sizeof keys / sizeof keys[0]);
			arena_reset(a);
			line = nl + 1;
		}
		assert_int_equal(lines, report_nfindings(r));
		free(out);
		report_free(r);
	}
	arena_free(a);
}

static void jsonl__values__round_trip_bytes(void **state)
{
	(void)state;
	report *r = fixture_hostile();
	char *out = render(r);
	arena *a = arena_new(0, 0);
	/* every finding's group values come back exactly (valid UTF-8 payloads) */
	size_t checked = 0;
	for (char *line = out; *line;) {
		char *nl = strchr(line, '\n');
		json_value *v = NULL;
		assert_int_equal(json_parse(a, line, (size_t)(nl - line), NULL, &v, NULL, NULL), LT_OK);
		const json_value *g = json_get(v, "group");
		const json_value *p = json_get(g, "principal");
		if (p == NULL) {
			assert_int_equal(g->len, 0); /* the low finding has no group */
			arena_reset(a);
			line = nl + 1;
			continue;
		}
		for (size_t i = 0; i < fixture_npayloads; i++) {
			size_t n = i == 7 ? 13 : strlen(fixture_payloads[i]);
			if (p->len == n && memcmp(p->u.s, fixture_payloads[i], n) == 0)
				checked++;
		}
		arena_reset(a);
		line = nl + 1;
	}
	assert_int_equal(checked, report_nfindings(r) - 1); /* the low finding has no group */
	arena_free(a);
	free(out);
	report_free(r);
}

static void jsonl__same_model__same_bytes(void **state)
{
	(void)state;
	report *r1 = fixture_hostile(), *r2 = fixture_hostile();
	char *x = render(r1), *y = render(r2);
	assert_string_equal(x, y);
	free(x);
	free(y);
	report_free(r1);
	report_free(r2);
	report *e = report_new(NULL);
	char *empty = render(e);
	assert_string_equal(empty, "");
	free(empty);
	report_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jsonl__one_finding__exact_line),
		cmocka_unit_test(jsonl__hostile__each_line_strict_json),
		cmocka_unit_test(jsonl__random_strings__strict_json),
		cmocka_unit_test(jsonl__values__round_trip_bytes),
		cmocka_unit_test(jsonl__same_model__same_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
