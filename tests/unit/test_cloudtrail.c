/*
 * test_cloudtrail.c — CloudTrail record -> event header fields (cloudtrail.h).
 * Records come from tests/data/decode/cloudtrail_bedrock.json (real log-file
 * shape) and from small inline documents for the failure cases.
 */
#include "tests/unit/decode_fixture.h"

#include "common/arena.h"
#include "ingest/cloudtrail.h"
#include "ingest/json.h"

#define ALICE "arn:aws:sts::111122223333:assumed-role/BedrockUser/alice"
#define T_120001 1714564801000000LL /* 2024-05-01T12:00:01Z */

typedef struct fx {
	arena *a;
	char *text;
	const json_value *records;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	size_t len;
	f->a = arena_new(0, 0);
	f->text = fixture("cloudtrail_bedrock.json", &len);
	json_value *doc = NULL;
	lt_error err;
	if (json_parse(f->a, f->text, len, NULL, &doc, NULL, &err) != LT_OK)
		fail_msg("fixture does not parse: %s", err.msg);
	f->records = json_get(doc, "Records");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	arena_free(f->a);
	free(f->text);
	free(f);
	return 0;
}

static event fill(void **state, size_t i)
{
	fx *f = *state;
	assert_true(i < f->records->len);
	event ev;
	event_init(&ev);
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(cloudtrail_fill(&ev, &f->records->u.items[i], &err), LT_OK);
	return ev;
}

static void cloudtrail__invoke_model__all_header_fields(void **state)
{
	event ev = fill(state, 0);
	assert_int_equal(ev.source, EV_SRC_CLOUDTRAIL);
	assert_int_equal(ev.time_us, T_120001);
	CHECK_STR(ev.uid, "6f0e1d2c-1111-4222-8333-944455566601");
	CHECK_STR(ev.request_id, "c7f1a3e2-5b1d-4a8b-9f00-000000000001");
	CHECK_STR(ev.action, "InvokeModel");
	CHECK_STR(ev.service, "bedrock.amazonaws.com");
	CHECK_STR(ev.principal, ALICE);
	CHECK_STR(ev.access_key, "ASIA3EXAMPLEKEY00001");
	CHECK_STR(ev.account, "111122223333");
	CHECK_STR(ev.region, "us-east-1");
	CHECK_STR(ev.source_ip, "203.0.113.10");
	assert_true(ev.user_agent.n > 10 && memcmp(ev.user_agent.p, "Boto3/1.34.84 ", 14) == 0);
	CHECK_STR(ev.model, "anthropic.claude-3-sonnet-20240229-v1:0");
	CHECK_STR(ev.error_code, NULL);
	CHECK_STR(ev.guardrail_action, NULL);
	assert_int_equal(ev.input_tokens, -1);
	assert_int_equal(ev.output_tokens, -1);
	assert_int_equal(ev.latency_ms, -1);
	CHECK_STR(ev.prompt, NULL);
}

static void cloudtrail__iam_user_calls__user_arn_and_no_model(void **state)
{
	event ev = fill(state, 1);
	CHECK_STR(ev.action, "ListFoundationModels");
	CHECK_STR(ev.principal, "arn:aws:iam::111122223333:user/bob");
	CHECK_STR(ev.access_key, "AKIA3EXAMPLEKEY00002");
	CHECK_STR(ev.source_ip, "198.51.100.7");
	CHECK_STR(ev.model, NULL);
	ev = fill(state, 2);
	CHECK_STR(ev.action, "PutModelInvocationLoggingConfiguration");
	assert_int_equal(ev.time_us, T_120001 + 2250000); /* 12:00:03.250Z */
	ev = fill(state, 3);
	CHECK_STR(ev.service, "sts.amazonaws.com");
	CHECK_STR(ev.action, "GetCallerIdentity");
	CHECK_STR(ev.request_id, "0a1b2c3d-0000-4000-8000-000000000004");
}

static void cloudtrail__aws_service_caller__principal_is_invoked_by(void **state)
{
	event ev = fill(state, 4);
	CHECK_STR(ev.action, "AssumeRole");
	CHECK_STR(ev.principal, "bedrock.amazonaws.com");
	CHECK_STR(ev.access_key, NULL);
	CHECK_STR(ev.account, "111122223333");
}

static void cloudtrail__denied_call__error_code_and_model_arn(void **state)
{
	event ev = fill(state, 5);
	CHECK_STR(ev.error_code, "AccessDenied");
	CHECK_STR(ev.model, "meta.llama3-70b-instruct-v1:0"); /* the ARN names the model: one key (bedrock_model_key) */
}

static void cloudtrail__model_identifier__used_as_model(void **state)
{
	event ev = fill(state, 6);
	CHECK_STR(ev.model, "amazon.titan-text-express-v1");
}

static void cloudtrail__reversed_keys_no_arn__fallbacks(void **state)
{
	event ev = fill(state, 7);
	CHECK_STR(ev.action, "Converse");
	CHECK_STR(ev.principal, "arn:aws:iam::111122223333:role/Ops");
	CHECK_STR(ev.account, "111122223333"); /* userIdentity.accountId: no recipientAccountId */
	CHECK_STR(ev.region, "eu-west-1");
	CHECK_STR(ev.model, "anthropic.claude-3-haiku-20240307-v1:0"); /* a system inference profile is its model */
	CHECK_STR(ev.access_key, "ASIA3EXAMPLEKEY00003");
}

static lt_status fill_text(const char *json, event *ev, lt_error *err)
{
	arena *a = arena_new(0, 0);
	json_value *v = NULL;
	lt_error perr;
	assert_int_equal(json_parse(a, json, strlen(json), NULL, &v, NULL, &perr), LT_OK);
	event_init(ev);
	lt_error_clear(err);
	lt_status st = cloudtrail_fill(ev, v, err);
	arena_free(a); /* ev's slices die here: callers only look at the status */
	return st;
}

static void cloudtrail__missing_required__item_error_names_field(void **state)
{
	(void)state;
	event ev;
	lt_error err;
	assert_int_equal(fill_text("{\"eventID\":\"x\",\"eventName\":\"A\"}", &ev, &err), LT_EITEM);
	assert_non_null(strstr(err.msg, "eventTime"));
	assert_int_equal(fill_text("{\"eventID\":\"x\",\"eventTime\":\"yesterday\"}", &ev, &err), LT_EITEM);
	assert_non_null(strstr(err.msg, "eventTime"));
	assert_int_equal(fill_text("{\"eventTime\":\"2024-05-01T12:00:01Z\",\"eventID\":\"\"}", &ev, &err), LT_EITEM);
	assert_non_null(strstr(err.msg, "eventID"));
	assert_int_equal(fill_text("[1,2]", &ev, &err), LT_EITEM);
	assert_int_equal(fill_text("{\"eventTime\":\"2024-05-01T12:00:01Z\",\"eventID\":\"e\",\"userIdentity\":7}", &ev, &err), LT_OK);
}

/* Issue 15: a record with no resources says so in its flags, so that the
 * scan's usage dashboard (which counts Bedrock resources) does not read it
 * again; any resources[] that is not an empty array keeps it read. */
static void cloudtrail__resources__no_resources_flag(void **state)
{
	(void)state;
	static const char head[] = "{\"eventID\":\"e\",\"eventTime\":\"2024-05-01T12:00:01Z\"";
	static const struct {
		const char *tail;
		bool none;
	} cases[] = {
		{"}", true},
		{",\"resources\":null}", true},
		{",\"resources\":[]}", true},
		{",\"resources\":[{\"type\":\"AWS::Bedrock::KnowledgeBase\",\"ARN\":\"arn:aws:bedrock:us-east-1:1:knowledge-base/K\"}]}",
		 false},
		{",\"resources\":{\"type\":\"odd\"}}", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char json[512];
		snprintf(json, sizeof json, "%s%s", head, cases[i].tail);
		event ev;
		lt_error err;
		assert_int_equal(fill_text(json, &ev, &err), LT_OK);
		if (((ev.flags & EV_F_NO_RESOURCES) != 0) != cases[i].none)
			fail_msg("case %zu (%s): EV_F_NO_RESOURCES %s", i, cases[i].tail, cases[i].none ? "not set" : "set");
	}
}

/* Issue 22 #15: a numeric eventTime was reported as missing. */
static void cloudtrail__numeric_event_time__not_a_string(void **state)
{
	(void)state;
	event ev;
	lt_error err;
	assert_int_equal(fill_text("{\"eventID\":\"x\",\"eventTime\":1714564801}", &ev, &err), LT_EITEM);
	assert_string_equal(err.msg, "CloudTrail record: eventTime is not a string (JSON number)");
	assert_int_equal(fill_text("{\"eventID\":\"x\",\"eventTime\":null}", &ev, &err), LT_EITEM);
	assert_string_equal(err.msg, "CloudTrail record: eventTime is not a string (JSON null)");
}

static void cloudtrail__is_record__distinguishes_invocation_logs(void **state)
{
	fx *f = *state;
	assert_true(cloudtrail_is_record(&f->records->u.items[0]));
	arena *a = arena_new(0, 0);
	json_value *v = NULL;
	lt_error err;
	const char *inv = "{\"schemaType\":\"ModelInvocationLog\",\"eventID\":\"x\"}";
	assert_int_equal(json_parse(a, inv, strlen(inv), NULL, &v, NULL, &err), LT_OK);
	assert_false(cloudtrail_is_record(v));
	assert_false(cloudtrail_is_record(NULL));
	arena_free(a);
}

static void event__helpers__names_and_init(void **state)
{
	(void)state;
	assert_string_equal(ev_source_name(EV_SRC_CLOUDTRAIL), "cloudtrail");
	assert_string_equal(ev_source_name(EV_SRC_INVOCATION), "invocation");
	assert_string_equal(ev_source_name((ev_source)42), "unknown");
	assert_int_equal(ev_source_from_name("invocation"), EV_SRC_INVOCATION);
	assert_int_equal(ev_source_from_name("nope"), EV_SRC_UNKNOWN);
	assert_int_equal(ev_source_from_name(NULL), EV_SRC_UNKNOWN);
	event ev;
	event_init(&ev);
	assert_int_equal(ev.time_us, -1);
	assert_int_equal(ev.input_tokens, -1);
	assert_null(ev.uid.p);
	assert_true(ev_str_eq(ev_str_from("abc", 3), "abc"));
	assert_false(ev_str_eq(ev_str_from("abc", 3), "ab"));
	assert_true(ev_str_eq(EV_STR_NULL, ""));
	assert_null(ev_str_json(NULL).p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cloudtrail__invoke_model__all_header_fields),
		cmocka_unit_test(cloudtrail__iam_user_calls__user_arn_and_no_model),
		cmocka_unit_test(cloudtrail__aws_service_caller__principal_is_invoked_by),
		cmocka_unit_test(cloudtrail__denied_call__error_code_and_model_arn),
		cmocka_unit_test(cloudtrail__model_identifier__used_as_model),
		cmocka_unit_test(cloudtrail__reversed_keys_no_arn__fallbacks),
		cmocka_unit_test(cloudtrail__missing_required__item_error_names_field),
		cmocka_unit_test(cloudtrail__numeric_event_time__not_a_string),
		cmocka_unit_test(cloudtrail__resources__no_resources_flag),
		cmocka_unit_test(cloudtrail__is_record__distinguishes_invocation_logs),
		cmocka_unit_test(event__helpers__names_and_init),
	};
	return cmocka_run_group_tests_name("cloudtrail", tests, setup, teardown);
}
