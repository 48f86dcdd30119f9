/*
 * test_kblog.c — Knowledge Base application log records to events, and the
 * kb-log-jsonl format (S3 / Firehose vended delivery).
 */
#include "tests/unit/decode_fixture.h"

#include "common/arena.h"
#include "ingest/kblog.h"

static json_value *parse(arena *a, const char *s)
{
	json_value *v = NULL;
	lt_error e;
	assert_int_equal(json_parse(a, s, strlen(s), NULL, &v, NULL, &e), LT_OK);
	return v;
}

static void kblog__resource_record__header_fields(void **state)
{
	(void)state;
	arena *a = arena_new(0, 0);
	json_value *r = parse(a, "{\"event_timestamp\":1718677342332,\"event\":{\"ingestion_job_id\":\"JOB1\","
				 "\"data_source_id\":\"DS1\",\"knowledge_base_arn\":"
				 "\"arn:aws:bedrock:us-west-2:111122223333:knowledge-base/KB1\","
				 "\"document_location\":{\"type\":\"S3\",\"s3_location\":{\"uri\":\"s3://b/k\"}},"
				 "\"status\":\"INDEXING_FAILED\",\"status_reasons\":[\"x\"]},"
				 "\"event_version\":\"1.0\",\"event_type\":\"StartIngestionJob.ResourceStatusChanged\","
				 "\"level\":\"ERROR\"}");
	assert_true(kblog_is_record(r));
	event ev;
	event_init(&ev);
	lt_error e;
	assert_int_equal(kblog_fill(&ev, r, &e), LT_OK);
	assert_int_equal(ev.source, EV_SRC_KBLOG);
	assert_int_equal(ev.time_us, 1718677342332000LL);
	CHECK_STR(ev.action, "StartIngestionJob.ResourceStatusChanged");
	CHECK_STR(ev.service, "bedrock-kb");
	CHECK_STR(ev.model, "arn:aws:bedrock:us-west-2:111122223333:knowledge-base/KB1");
	CHECK_STR(ev.region, "us-west-2");
	CHECK_STR(ev.account, "111122223333");
	CHECK_STR(ev.request_id, "JOB1");
	CHECK_STR(ev.error_code, "INDEXING_FAILED");
	CHECK_STR(ev.uid, NULL);
	CHECK_STR(ev.principal, NULL);
	arena_free(a);
}

static void kblog__job_record__failure_and_level(void **state)
{
	(void)state;
	arena *a = arena_new(0, 0);
	event ev;
	lt_error e;
	event_init(&ev);
	assert_int_equal(kblog_fill(&ev, parse(a, "{\"event_timestamp\":\"1718683433639\",\"event_type\":\"x\","
						 "\"event\":{\"ingestion_job_status\":\"FAILED\"}}"), &e),
			 LT_OK);
	assert_int_equal(ev.time_us, 1718683433639000LL); /* a numeric string */
	CHECK_STR(ev.error_code, "FAILED");
	CHECK_STR(ev.region, NULL);
	event_init(&ev);
	assert_int_equal(kblog_fill(&ev, parse(a, "{\"event_timestamp\":1,\"event_version\":\"1.0\",\"level\":\"ERROR\","
						 "\"event\":{\"status\":\"INDEXED\"}}"), &e),
			 LT_OK);
	CHECK_STR(ev.error_code, "ERROR");
	event_init(&ev);
	assert_int_equal(kblog_fill(&ev, parse(a, "{\"event_timestamp\":1,\"event_version\":\"1.0\","
						 "\"event\":{\"status\":\"INDEXED\",\"knowledge_base_arn\":\"arn:aws:bedrock\"}}"), &e),
			 LT_OK);
	CHECK_STR(ev.error_code, NULL);
	CHECK_STR(ev.region, NULL); /* a cut ARN gives no region, no crash */
	arena_free(a);
}

static void kblog__bad_timestamps__item_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"{\"event_timestamp\":\"yesterday\",\"event_type\":\"x\",\"event\":{}}",
		"{\"event_timestamp\":-5,\"event_type\":\"x\",\"event\":{}}",
		"{\"event_timestamp\":1.5e300,\"event_type\":\"x\",\"event\":{}}",
		"{\"event_timestamp\":99999999999999999,\"event_type\":\"x\",\"event\":{}}",
		"{\"event_timestamp\":null,\"event_type\":\"x\",\"event\":{}}",
		"{\"event_type\":\"x\",\"event\":{}}",
		"[1]",
	};
	arena *a = arena_new(0, 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		event ev;
		event_init(&ev);
		lt_error e;
		lt_error_clear(&e);
		assert_int_equal(kblog_fill(&ev, parse(a, bad[i]), &e), LT_EITEM);
		assert_true(e.msg[0] != '\0');
	}
	arena_free(a);
}

static void kblog__is_record__needs_event_object_and_type(void **state)
{
	(void)state;
	arena *a = arena_new(0, 0);
	assert_false(kblog_is_record(parse(a, "{\"event_timestamp\":1,\"event\":\"login\",\"event_type\":\"x\"}")));
	assert_false(kblog_is_record(parse(a, "{\"event_timestamp\":1,\"event\":{}}")));
	assert_false(kblog_is_record(parse(a, "{\"event\":{},\"event_type\":\"x\"}")));
	assert_false(kblog_is_record(NULL));
	assert_true(kblog_is_record(parse(a, "{\"event_timestamp\":1,\"event\":{},\"event_version\":\"1.0\"}")));
	arena_free(a);
}

static void kblog__jsonl_member__sniffed_and_decoded(void **state)
{
	(void)state;
	size_t len;
	char *text = fixture("kb_logs.jsonl", &len);
	arena *a = arena_new(0, 0);
	collected col;
	memset(&col, 0, sizeof col);
	decode_sink s = col_sink(&col);
	decode_result res;
	lt_error err;
	ev_provenance prov = {"kb", "kb-logs.jsonl", "", 0};
	assert_int_equal(decode_member(text, len, &prov, a, &s, &res, &err), LT_OK);
	assert_string_equal(res.format, "kb-log-jsonl");
	assert_int_equal(col.n, 6);
	assert_int_equal(col.np, 0);
	for (size_t i = 0; i < col.n; i++) {
		assert_int_equal(col.ev[i].source, EV_SRC_KBLOG);
		assert_int_equal(col.ev[i].line, i + 1);
		assert_ptr_equal(col.ev[i].raw.p, text + col.ev[i].offset);
	}
	CHECK_STR(col.ev[4].error_code, "EMBEDDING_FAILED");
	arena_free(a);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kblog__resource_record__header_fields),
		cmocka_unit_test(kblog__job_record__failure_and_level),
		cmocka_unit_test(kblog__bad_timestamps__item_errors),
		cmocka_unit_test(kblog__is_record__needs_event_object_and_type),
		cmocka_unit_test(kblog__jsonl_member__sniffed_and_decoded),
	};
	return cmocka_run_group_tests_name("kblog", tests, NULL, NULL);
}
