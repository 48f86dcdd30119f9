/*
 * test_cwlogs.c — CloudWatch Logs pages (filter-log-events, get-log-events)
 * and subscription deliveries, through decode_member, and the look-alike
 * problem for JSON no format takes.
 */
#include "tests/unit/decode_fixture.h"

#include "common/arena.h"

static ev_provenance prov = {"cw.tar.gz", "logs/page.json", "", 0};

typedef struct got {
	arena *a;
	char *text;
	collected col;
	decode_result res;
	lt_error err;
	lt_status st;
} got;

static got *decode_buf(const char *text, size_t len)
{
	got *g = calloc(1, sizeof *g);
	assert_non_null(g);
	g->a = arena_new(0, 0);
	g->text = malloc(len + 1);
	memcpy(g->text, text, len);
	g->text[len] = '\0';
	decode_sink s = col_sink(&g->col);
	g->st = decode_member(g->text, len, &prov, g->a, &s, &g->res, &g->err);
	return g;
}

static got *decode_fixture_file(const char *name)
{
	size_t len;
	char *text = fixture(name, &len);
	got *g = decode_buf(text, len);
	free(text);
	return g;
}

static void got_free(got *g)
{
	arena_free(g->a);
	free(g->text);
	free(g);
}

static bool problem_has(const got *g, const char *needle)
{
	for (size_t i = 0; i < g->col.np && i < COLLECT_MAX; i++)
		if (strstr(g->col.problems[i].msg, needle) != NULL)
			return true;
	return false;
}

static void cwlogs__filter_log_events__each_message_decoded_by_its_kind(void **state)
{
	(void)state;
	got *g = decode_fixture_file("cw_filter_log_events.json");
	assert_string_equal(g->res.format, "cloudwatch-events");
	assert_int_equal(g->col.n, 4);
	const event *inv = find_uid(&g->col, "req-fle-1");
	assert_int_equal(inv->source, EV_SRC_INVOCATION);
	assert_int_equal(inv->line, 1);
	CHECK_STR(inv->prompt, "Hello from filter-log-events");
	assert_int_equal(inv->raw.p[0], '{');
	const event *nt = find_uid(&g->col, "req-fle-notime");
	assert_true(nt->flags & EV_F_TIME_FALLBACK);
	assert_int_equal(nt->time_us, 1714570205500000LL); /* the log event's timestamp */
	const event *ct = find_uid(&g->col, "f1000000-0000-4000-8000-000000000006");
	assert_int_equal(ct->source, EV_SRC_CLOUDTRAIL);
	assert_true(ct->flags & EV_F_BEARER_TOKEN);
	assert_int_equal(g->col.ev[3].source, EV_SRC_KBLOG);
	assert_int_equal(g->col.ev[3].line, 4);
	/* the Lambda line is not a record: one problem naming stream and id */
	assert_int_equal(g->col.np, 1);
	assert_int_equal(g->col.problems[0].line, 5);
	assert_true(problem_has(g, "stream lambda/2024/05/01, id 3801"));
	assert_int_equal(g->res.records, 5);
	assert_int_equal(g->st, LT_EITEM);
	got_free(g);
}

static void cwlogs__get_log_events__no_stream_names_needed(void **state)
{
	(void)state;
	got *g = decode_fixture_file("cw_get_log_events.json");
	assert_string_equal(g->res.format, "cloudwatch-events");
	assert_int_equal(g->col.n, 1);
	CHECK_STR(g->col.ev[0].uid, "req-gle-1");
	assert_int_equal(g->col.np, 0);
	assert_int_equal(g->st, LT_OK);
	got_free(g);
}

static void cwlogs__page_keys_resorted__whole_document_read(void **state)
{
	(void)state;
	const char *t = "{\"nextForwardToken\":\"f/1\",\"events\":[{\"timestamp\":1714570205000,\"message\":"
			"\"{\\\"event_timestamp\\\":1714570205000,\\\"event_type\\\":\\\"StartIngestionJob.StatusChanged\\\","
			"\\\"event\\\":{\\\"knowledge_base_arn\\\":\\\"arn:aws:bedrock:eu-west-1:111122223333:knowledge-base/K\\\"}}\","
			"\"ingestionTime\":1714570206000}]}";
	got *g = decode_buf(t, strlen(t));
	assert_string_equal(g->res.format, "cloudwatch-events"); /* keys re-sorted by a tool */
	assert_int_equal(g->col.n, 1);
	assert_int_equal(g->col.ev[0].source, EV_SRC_KBLOG);
	assert_int_equal(g->col.np, 0);
	got_free(g);
	const char *t2 = "{\"events\":[],\"nextForwardToken\":\"f/1\",\"nextBackwardToken\":\"b/1\"}";
	g = decode_buf(t2, strlen(t2));
	assert_string_equal(g->res.format, "cloudwatch-events"); /* an empty page is still a page */
	assert_int_equal(g->col.n, 0);
	assert_int_equal(g->col.np, 0);
	got_free(g);
}

static void cwlogs__page_after_events__members_stepped_over(void **state)
{
	(void)state;
	const char *t = "{\"events\":[{\"logStreamName\":\"s\",\"timestamp\":1714570205000,\"ingestionTime\":1,"
			"\"message\":\"{\\\"event_timestamp\\\":1714570205000,\\\"event_version\\\":\\\"1.0\\\","
			"\\\"event\\\":{\\\"knowledge_base_arn\\\":\\\"arn:aws:bedrock:eu-west-1:111122223333:knowledge-base/K\\\","
			"\\\"status\\\":\\\"EMBEDDING_FAILED\\\"}}\",\"eventId\":\"1\"}],"
			"\"searchedLogStreams\":[{\"logStreamName\":\"s\",\"searchedCompletely\":true}],\"nextToken\":\"x\"}\n"
			"{\"events\":[]}";
	got *g = decode_buf(t, strlen(t));
	assert_string_equal(g->res.format, "cloudwatch-events");
	assert_int_equal(g->col.n, 1);
	assert_int_equal(g->col.np, 0);
	const event *e = &g->col.ev[0];
	assert_int_equal(e->source, EV_SRC_KBLOG);
	CHECK_STR(e->region, "eu-west-1");
	CHECK_STR(e->account, "111122223333");
	CHECK_STR(e->error_code, "EMBEDDING_FAILED");
	got_free(g);
}

static void cwlogs__page_cut_short__events_before_kept(void **state)
{
	(void)state;
	size_t len;
	char *text = fixture("cw_filter_log_events.json", &len);
	char *cut = text;
	for (int k = 0; k < 3; k++) { /* cut inside the third log event */
		cut = strstr(cut + 1, "\"eventId\"");
		assert_non_null(cut);
	}
	got *g = decode_buf(text, (size_t)(cut - text));
	free(text);
	assert_int_equal(g->col.n, 2);
	assert_int_equal(g->st, LT_EFILE);
	assert_true(problem_has(g, "log event 3"));
	got_free(g);
}

static void cwlogs__subscription__concatenated_objects_control_noted(void **state)
{
	(void)state;
	got *g = decode_fixture_file("cw_subscription.txt");
	assert_string_equal(g->res.format, "cloudwatch-subscription");
	assert_int_equal(g->col.n, 3);
	CHECK_STR(g->col.ev[0].uid, "req-fh-1");
	CHECK_STR(g->col.ev[1].uid, "req-fh-2");
	assert_int_equal(g->col.ev[2].source, EV_SRC_KBLOG);
	assert_int_equal(g->col.ev[2].line, 3);
	assert_int_equal(g->col.np, 1);
	assert_true(problem_has(g, "CONTROL_MESSAGE"));
	assert_int_equal(g->st, LT_OK); /* a note, not a failure */
	got_free(g);
}

static void cwlogs__subscription_damaged__resumes_at_next_object(void **state)
{
	(void)state;
	got *g = decode_fixture_file("cw_subscription_damaged.txt");
	assert_string_equal(g->res.format, "cloudwatch-subscription");
	assert_int_equal(g->col.n, 2);
	CHECK_STR(g->col.ev[0].uid, "req-fh-dmg-0");
	CHECK_STR(g->col.ev[1].uid, "req-fh-dmg-2");
	assert_int_equal(g->col.np, 1);
	assert_true(problem_has(g, "reading resumes at the next one"));
	assert_int_equal(g->st, LT_EITEM);
	got_free(g);
}

static void cwlogs__subscription_garbage_tail__stops_with_problem(void **state)
{
	(void)state;
	const char *t = "{\"messageType\":\"DATA_MESSAGE\",\"logStream\":\"s\",\"logEvents\":[]}garbage{";
	got *g = decode_buf(t, strlen(t));
	assert_string_equal(g->res.format, "cloudwatch-subscription");
	assert_int_equal(g->col.n, 0);
	assert_int_equal(g->col.np, 1);
	assert_true(problem_has(g, "not a JSON object"));
	got_free(g);
}

static void cwlogs__lookalike_wrapper__reported_not_silent(void **state)
{
	(void)state;
	got *g = decode_fixture_file("lookalike_results.json");
	assert_string_equal(g->res.format, "json-object");
	assert_int_equal(g->col.np, 1);
	assert_true(problem_has(g, "look like CloudTrail records (first at results[0])"));
	assert_int_equal(g->st, LT_EFILE);
	got_free(g);
	const char *shipper = "{\"log\":\"{\\\"schemaType\\\":\\\"ModelInvocationLog\\\",\\\"requestId\\\":\\\"r\\\"}\"}\n"
			      "{\"log\":\"x\"}\n";
	g = decode_buf(shipper, strlen(shipper));
	assert_string_equal(g->res.format, "not-evidence");
	assert_true(problem_has(g, "model invocation log records (first at log)"));
	got_free(g);
}

static void cwlogs__foreign_lookalikes__quiet(void **state)
{
	(void)state;
	static const char *const foreign[] = {
		"{\"events\":[{\"name\":\"deploy\",\"at\":\"2024-05-01\"}],\"total\":1}",
		"{\"messageType\":\"NOTIFY\",\"body\":\"hello\"}",
		"{\"event_timestamp\":1714568405000,\"event\":\"login\",\"user\":\"alice\"}",
		/* a request body whose prompt quotes a CloudTrail record: too deep to be one */
		"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"{\\\"eventVersion\\\":\\\"1.09\\\","
		"\\\"eventSource\\\":\\\"s3.amazonaws.com\\\"}\"}]}]}",
	};
	for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
		got *g = decode_buf(foreign[i], strlen(foreign[i]));
		assert_string_equal(g->res.format, "json-object");
		assert_int_equal(g->col.n, 0);
		assert_int_equal(g->col.np, 0);
		assert_int_equal(g->st, LT_OK);
		got_free(g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cwlogs__filter_log_events__each_message_decoded_by_its_kind),
		cmocka_unit_test(cwlogs__get_log_events__no_stream_names_needed),
		cmocka_unit_test(cwlogs__page_keys_resorted__whole_document_read),
		cmocka_unit_test(cwlogs__page_after_events__members_stepped_over),
		cmocka_unit_test(cwlogs__page_cut_short__events_before_kept),
		cmocka_unit_test(cwlogs__subscription__concatenated_objects_control_noted),
		cmocka_unit_test(cwlogs__subscription_damaged__resumes_at_next_object),
		cmocka_unit_test(cwlogs__subscription_garbage_tail__stops_with_problem),
		cmocka_unit_test(cwlogs__lookalike_wrapper__reported_not_silent),
		cmocka_unit_test(cwlogs__foreign_lookalikes__quiet),
	};
	return cmocka_run_group_tests_name("cwlogs", tests, NULL, NULL);
}
