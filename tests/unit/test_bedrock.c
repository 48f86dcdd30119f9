/*
 * test_bedrock.c — invocation log records -> events, and the derived text
 * fields for every body shape (bedrock.h). Records come from
 * tests/data/decode/invocations.jsonl (one record per body shape); the
 * table-driven cases feed bodies straight to bedrock_derive.
 */
#include "tests/unit/decode_fixture.h"

#include "common/arena.h"
#include "ingest/bedrock.h"
#include "ingest/json.h"

#define ALICE "arn:aws:sts::111122223333:assumed-role/BedrockUser/alice"
#define T_120001 1714564801000000LL /* 2024-05-01T12:00:01Z */

typedef struct fx {
	arena *a;
	char *text;
	size_t len;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	f->a = arena_new(0, 0);
	f->text = fixture("invocations.jsonl", &f->len);
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

/* Parses the fixture line whose requestId is rid and fills an event from it. */
static event load(void **state, const char *rid)
{
	fx *f = *state;
	char needle[256];
	snprintf(needle, sizeof needle, "\"requestId\":\"%s\"", rid);
	const char *hit = strstr(f->text, needle);
	if (hit == NULL)
		fail_msg("no record %s in the fixture", rid);
	const char *start = hit;
	while (start > f->text && start[-1] != '\n')
		start--;
	const char *end = strchr(hit, '\n');
	json_value *rec = NULL;
	lt_error err;
	if (json_parse(f->a, start, (size_t)(end - start), NULL, &rec, NULL, &err) != LT_OK)
		fail_msg("record %s does not parse: %s", rid, err.msg);
	event ev;
	event_init(&ev);
	bool usable = false;
	lt_error_clear(&err);
	if (bedrock_fill(&ev, rec, -1, f->a, &usable, &err) != LT_OK)
		fail_msg("bedrock_fill(%s): %s", rid, err.msg);
	assert_true(usable);
	return ev;
}

static void bedrock__converse__header_and_all_block_kinds(void **state)
{
	event ev = load(state, "req-converse-0001");
	assert_int_equal(ev.source, EV_SRC_INVOCATION);
	assert_int_equal(ev.time_us, T_120001);
	CHECK_STR(ev.uid, "req-converse-0001");
	CHECK_STR(ev.request_id, "req-converse-0001");
	CHECK_STR(ev.action, "Converse");
	CHECK_STR(ev.service, "bedrock");
	CHECK_STR(ev.principal, ALICE);
	CHECK_STR(ev.account, "111122223333");
	CHECK_STR(ev.region, "us-east-1");
	CHECK_STR(ev.model, "anthropic.claude-3-sonnet-20240229-v1:0");
	CHECK_STR(ev.access_key, NULL);
	CHECK_STR(ev.source_ip, NULL);
	CHECK_STR(ev.error_code, NULL);
	assert_int_equal(ev.input_tokens, 58);
	assert_int_equal(ev.output_tokens, 21);
	assert_int_equal(ev.latency_ms, 842);
	assert_int_equal(ev.flags, 0);
	CHECK_STR(ev.prompt, "What is the weather in Paris?\nQuarterly numbers: revenue 12M\n"
			     "{\"temp\":21}\nsunny\nguarded question");
	CHECK_STR(ev.system, "You are a weather bot.\nBe nice.");
	CHECK_STR(ev.response, "It is sunny, 21 C.");
	CHECK_STR(ev.tool_calls, "{\"name\":\"log_answer\",\"id\":\"tooluse_2\",\"input\":{\"ok\":true}}");
	CHECK_STR(ev.guardrail_action, NULL);
	CHECK_STR(ev.input_body_ref, NULL);
}

static void bedrock__converse_guardrail__blocked_answer_kept(void **state)
{
	event ev = load(state, "req-converse-guard");
	CHECK_STR(ev.prompt, "How do I make a weapon?");
	CHECK_STR(ev.response, "Sorry, I cannot help with that.\nHere is how to make a weapon: step one");
	CHECK_STR(ev.guardrail_action, "INTERVENED");
	assert_true(ev.flags & EV_F_GUARDRAIL);
	assert_int_equal(ev.latency_ms, 300);
}

static void bedrock__anthropic_messages_shuffled_keys__text_and_tools(void **state)
{
	event ev = load(state, "req-anthropic-0001");
	assert_int_equal(ev.time_us, T_120001 + 1500000);
	CHECK_STR(ev.action, "InvokeModel");
	CHECK_STR(ev.system, "You are terse.");
	CHECK_STR(ev.prompt, "Summarize the report.\nReport body\nThanks\nDoc text");
	CHECK_STR(ev.response, "Short summary.");
	CHECK_STR(ev.tool_calls, "{\"name\":\"save\",\"id\":\"toolu_02\",\"input\":{\"k\":\"v\"}}");
	assert_int_equal(ev.latency_ms, -1);
	assert_int_equal(ev.input_tokens, 40);
}

typedef struct shape {
	const char *rid, *prompt, *system, *response, *tools;
	int64_t latency;
	uint32_t flags;
} shape;

static const shape shapes[] = {
	{"req-claude-text", "\n\nHuman: Tell me a joke\n\nAssistant:", NULL,
	 " Why did the chicken cross the road?", NULL, -1, 0},
	{"req-titan", "Write a haiku", NULL, "Leaves fall softly", NULL, -1, 0},
	{"req-llama", "<|begin_of_text|>Hello", NULL, "Hi there!", NULL, -1, 0},
	{"req-mistral", "<s>[INST] Name a color [/INST]", NULL, "Blue", NULL, -1, 0},
	{"req-cohere-r", "Say hello\nAnd in French?\nhello = bonjour", "You translate.", "Bonjour", NULL,
	 -1, 0},
	{"req-cohere", "Count to three", NULL, "one two three", NULL, -1, 0},
	{"req-ai21", "Complete: the sky is", NULL, " blue", NULL, -1, 0},
	{"req-jamba", "Capital of Italy?", "Be brief.", "Rome",
	 "{\"name\":\"lookup\",\"id\":\"call_1\",\"input\":{\"q\":\"Italy\"}}", -1, 0},
	{"req-stream-anthropic", "Stream please", NULL, "Hello, world",
	 "{\"name\":\"calc\",\"id\":\"toolu_9\",\"input\":{\"x\":2}}", 1234, EV_F_STREAM},
	{"req-conversestream", "Hi Nova", "Sys", "Hello",
	 "{\"name\":\"search\",\"id\":\"tu_7\",\"input\":{\"q\":\"nova\"}}", 456, EV_F_STREAM},
	{"req-stream-titan", "Count", NULL, "1 2 3", NULL, 77, EV_F_STREAM},
	{"req-stream-llama", "Say yes", NULL, "Yes", NULL, 55, EV_F_STREAM},
	{"req-string-body", "string wrapped prompt", NULL, "string wrapped answer", NULL, -1, 0},
};

static void bedrock__model_families__derived_text(void **state)
{
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		const shape *s = &shapes[i];
		event ev = load(state, s->rid);
		check_str(ev.prompt, s->prompt, s->rid);
		check_str(ev.system, s->system, s->rid);
		check_str(ev.response, s->response, s->rid);
		check_str(ev.tool_calls, s->tools, s->rid);
		if (ev.latency_ms != s->latency)
			fail_msg("%s: latency %lld", s->rid, (long long)ev.latency_ms);
		if (ev.flags != s->flags)
			fail_msg("%s: flags %#x", s->rid, ev.flags);
	}
}

static void bedrock__error_record__error_code_no_output(void **state)
{
	event ev = load(state, "req-error");
	CHECK_STR(ev.error_code, "ThrottlingException");
	CHECK_STR(ev.prompt, "Hi");
	CHECK_STR(ev.response, NULL);
	assert_int_equal(ev.input_tokens, 3);
	assert_int_equal(ev.output_tokens, -1);
}

static void bedrock__invoke_model_guardrail__action_and_flag(void **state)
{
	event ev = load(state, "req-invoke-guard");
	CHECK_STR(ev.guardrail_action, "INTERVENED");
	assert_true(ev.flags & EV_F_GUARDRAIL);
	CHECK_STR(ev.response, "Sorry, the model cannot answer this question.");
	CHECK_STR(ev.prompt, "My SSN is 123-45-6789");
}

static void bedrock__external_bodies__refs_then_derive_later(void **state)
{
	fx *f = *state;
	event ev = load(state, "req-external");
	assert_true(ev.flags & EV_F_BODY_EXTERNAL);
	CHECK_STR(ev.input_body_ref, "s3://llm-logs-111122223333/AWSLogs/111122223333/BedrockModelInvocationLogs/"
				     "us-east-1/2024/05/01/12/data/req-external_input.json.gz");
	CHECK_STR(ev.output_body_ref, "s3://llm-logs-111122223333/AWSLogs/111122223333/BedrockModelInvocationLogs/"
				      "us-east-1/2024/05/01/12/data/req-external_output.json.gz");
	assert_int_equal(ev.input_tokens, 120000);
	CHECK_STR(ev.prompt, NULL);
	/* the store resolves the input object and derives again; the output side stays */
	size_t len;
	char *body = fixture("body_external.json", &len);
	json_value *v = NULL;
	lt_error err;
	assert_int_equal(json_parse(f->a, body, len, NULL, &v, NULL, &err), LT_OK);
	ev.response = ev_str_from("kept", 4);
	assert_int_equal(bedrock_derive(&ev, v, NULL, f->a), LT_OK);
	CHECK_STR(ev.prompt, "A very long externally stored prompt");
	CHECK_STR(ev.system, "ext system");
	CHECK_STR(ev.response, "kept");
	free(body);
}

typedef struct body_case {
	const char *name, *in, *out;
	const char *prompt, *system, *response, *tools, *guardrail;
	int64_t latency;
	uint32_t flags;
} body_case;

static const body_case bodies[] = {
	{"plain text body", "\"just words\"", "\"plain answer\"", "just words", NULL, "plain answer", NULL, NULL, -1, 0},
	{"converse reasoning + document text",
	 "{\"messages\":[{\"role\":\"user\",\"content\":[{\"document\":{\"format\":\"pdf\",\"name\":\"d\",\"source\":{\"text\":\"doc as text\"}}},{\"image\":{\"format\":\"png\",\"source\":{\"bytes\":\"iVBORw0KGgo=\"}}}]}]}",
	 "{\"output\":{\"message\":{\"content\":[{\"reasoningContent\":{\"reasoningText\":{\"text\":\"thinking...\"}}},{\"text\":\"done\"}]}},\"stopReason\":\"end_turn\"}",
	 "doc as text", NULL, "thinking...\ndone", NULL, NULL, -1, 0},
	{"anthropic thinking + guardrail NONE", "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"system\":[{\"type\":\"text\",\"text\":\"s1\"},{\"type\":\"text\",\"text\":\"s2\"}]}",
	 "{\"content\":[{\"type\":\"thinking\",\"thinking\":\"hmm\"},{\"type\":\"text\",\"text\":\"a\"}],\"amazon-bedrock-guardrailAction\":\"NONE\"}",
	 "q", "s1\ns2", "hmm\na", NULL, "NONE", -1, 0},
	{"mistral chat + deepseek choices text", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"old answer\"},{\"role\":\"user\",\"content\":\"again\"}]}",
	 "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"chat reply\"}},{\"text\":\"r1 text\"}]}",
	 "hi\nagain", NULL, "chat reply\nr1 text", NULL, NULL, -1, 0},
	{"cohere R stream: stream-end not repeated", "{\"message\":\"m\"}",
	 "[{\"is_finished\":false,\"event_type\":\"stream-start\"},{\"is_finished\":false,\"event_type\":\"text-generation\",\"text\":\"Bon\"},{\"is_finished\":false,\"event_type\":\"text-generation\",\"text\":\"jour\"},{\"is_finished\":true,\"event_type\":\"stream-end\",\"response\":{\"text\":\"Bonjour\"},\"amazon-bedrock-invocationMetrics\":{\"invocationLatency\":12}}]",
	 "m", NULL, "Bonjour", NULL, NULL, 12, EV_F_STREAM},
	{"claude text + mistral + jamba streams", "{\"prompt\":\"p\"}",
	 "[{\"completion\":\"A\"},{\"outputs\":[{\"text\":\"B\"}]},{\"choices\":[{\"delta\":{\"content\":\"C\"}}]},{\"generations\":[{\"text\":\"D\"}]}]",
	 "p", NULL, "ABCD", NULL, NULL, -1, EV_F_STREAM},
	{"converse stream guardrail in metadata", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"bad\"}]}]}",
	 "[{\"contentBlockDelta\":{\"delta\":{\"text\":\"Blocked.\"}}},{\"messageStop\":{\"stopReason\":\"guardrail_intervened\"}},{\"metadata\":{\"metrics\":{\"latencyMs\":9},\"trace\":{\"guardrail\":{\"modelOutput\":[\"raw answer\"]}}}}]",
	 "bad", NULL, "Blocked.\nraw answer", NULL, "INTERVENED", 9, EV_F_STREAM | EV_F_GUARDRAIL},
	{"image prompts + cohere tools", "{\"taskType\":\"TEXT_IMAGE\",\"textToImageParams\":{\"text\":\"a cat\"},\"text_prompts\":[{\"text\":\"a dog\"}]}",
	 "{\"text\":\"\",\"tool_calls\":[{\"name\":\"query\",\"parameters\":{\"q\":1}}]}",
	 "a cat\na dog", NULL, NULL, "{\"name\":\"query\",\"input\":{\"q\":1}}", NULL, -1, 0},
	{"anthropic base64 text document + tool_result string", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"source\":{\"type\":\"base64\",\"media_type\":\"text/plain\",\"data\":\"aGVsbG8gZG9j\"}},{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":\"42\"}]}]}",
	 "{\"content\":[]}", "hello doc\n42", NULL, NULL, NULL, NULL, -1, 0},
	{"unparseable streamed tool input kept as string", "{}",
	 "[{\"contentBlockStart\":{\"start\":{\"toolUse\":{\"toolUseId\":\"x\",\"name\":\"n\"}}}},{\"contentBlockDelta\":{\"delta\":{\"toolUse\":{\"input\":\"{\\\"a\\\":\"}}}}]",
	 NULL, NULL, NULL, "{\"name\":\"n\",\"id\":\"x\",\"input\":\"{\\\"a\\\":\"}", NULL, -1, EV_F_STREAM},
};

static void bedrock__derive_table__every_shape(void **state)
{
	fx *f = *state;
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		const body_case *b = &bodies[i];
		json_value *in = NULL, *out = NULL;
		lt_error err;
		if (json_parse(f->a, b->in, strlen(b->in), NULL, &in, NULL, &err) != LT_OK ||
		    json_parse(f->a, b->out, strlen(b->out), NULL, &out, NULL, &err) != LT_OK)
			fail_msg("%s: case JSON does not parse: %s", b->name, err.msg);
		event ev;
		event_init(&ev);
		if (bedrock_derive(&ev, in, out, f->a) != LT_OK)
			fail_msg("%s: derive failed", b->name);
		check_str(ev.prompt, b->prompt, b->name);
		check_str(ev.system, b->system, b->name);
		check_str(ev.response, b->response, b->name);
		check_str(ev.tool_calls, b->tools, b->name);
		check_str(ev.guardrail_action, b->guardrail, b->name);
		if (ev.latency_ms != b->latency || ev.flags != b->flags)
			fail_msg("%s: latency %lld flags %#x", b->name, (long long)ev.latency_ms, ev.flags);
	}
}

static void bedrock__huge_prompt__truncated_and_reported(void **state)
{
	(void)state;
	size_t n = BEDROCK_MAX_TEXT + 1000;
	char *doc = malloc(n + 32);
	assert_non_null(doc);
	memcpy(doc, "{\"prompt\":\"", 11);
	memset(doc + 11, 'x', n);
	memcpy(doc + 11 + n, "\"}", 3);
	arena *a = arena_new(0, 0);
	json_value *v = NULL;
	lt_error err;
	assert_int_equal(json_parse(a, doc, 11 + n + 2, NULL, &v, NULL, &err), LT_OK);
	event ev;
	event_init(&ev);
	assert_int_equal(bedrock_derive(&ev, v, NULL, a), LT_EITEM);
	assert_int_equal(ev.prompt.n, BEDROCK_MAX_TEXT);
	arena_free(a);
	free(doc);
}

static void bedrock__missing_required__not_usable(void **state)
{
	fx *f = *state;
	static const char *const cases[][2] = {
		{"{\"schemaType\":\"ModelInvocationLog\",\"requestId\":\"r\"}", "timestamp"},
		{"{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"2024-05-01T12:00:01Z\"}", "requestId"},
		{"{\"requestId\":\"r\",\"timestamp\":\"not a time\"}", "timestamp"},
	};
	for (size_t i = 0; i < 3; i++) {
		json_value *v = NULL;
		lt_error err;
		assert_int_equal(json_parse(f->a, cases[i][0], strlen(cases[i][0]), NULL, &v, NULL, &err), LT_OK);
		event ev;
		event_init(&ev);
		bool usable = true;
		assert_int_equal(bedrock_fill(&ev, v, -1, f->a, &usable, &err), LT_EITEM);
		assert_false(usable);
		assert_non_null(strstr(err.msg, cases[i][1]));
	}
	/* a fallback time (CloudWatch prefix) rescues a record without timestamp */
	json_value *v = NULL;
	lt_error err;
	assert_int_equal(json_parse(f->a, cases[0][0], strlen(cases[0][0]), NULL, &v, NULL, &err), LT_OK);
	event ev;
	event_init(&ev);
	bool usable = false;
	assert_int_equal(bedrock_fill(&ev, v, 42, f->a, &usable, &err), LT_OK);
	assert_true(usable);
	assert_int_equal(ev.time_us, 42);
	assert_true(ev.flags & EV_F_TIME_FALLBACK);
	assert_true(bedrock_is_record(v));
}


static void key_is(const char *id, const char *want)
{
	ev_str k = bedrock_model_key(ev_str_from(id, strlen(id)));
	assert_int_equal(k.n, strlen(want));
	assert_memory_equal(k.p, want, k.n);
}

static void bedrock__model_key__one_key_for_arns_profiles_and_ids(void **state)
{
	(void)state;
	const char *m = "anthropic.claude-3-5-sonnet-20240620-v1:0";
	key_is(m, m);
	key_is("us.anthropic.claude-3-5-sonnet-20240620-v1:0", m);
	key_is("eu.anthropic.claude-3-5-sonnet-20240620-v1:0", m);
	key_is("us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0", m);
	key_is("global.anthropic.claude-3-5-sonnet-20240620-v1:0", m);
	key_is("arn:aws:bedrock:us-east-1:225510193261:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0", m);
	key_is("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0", m);
	/* not the same model under another name: kept as given */
	key_is("arn:aws:bedrock:us-east-1:1:provisioned-model/abc123", "arn:aws:bedrock:us-east-1:1:provisioned-model/abc123");
	key_is("arn:aws:bedrock:us-east-1:1:application-inference-profile/x7", "arn:aws:bedrock:us-east-1:1:application-inference-profile/x7");
	key_is("amazon.titan-embed-text-v2:0", "amazon.titan-embed-text-v2:0");
	key_is("cohere.command-r-v1:0", "cohere.command-r-v1:0");
	key_is("us.", "us.");
	key_is("", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bedrock__model_key__one_key_for_arns_profiles_and_ids),
		cmocka_unit_test(bedrock__converse__header_and_all_block_kinds),
		cmocka_unit_test(bedrock__converse_guardrail__blocked_answer_kept),
		cmocka_unit_test(bedrock__anthropic_messages_shuffled_keys__text_and_tools),
		cmocka_unit_test(bedrock__model_families__derived_text),
		cmocka_unit_test(bedrock__error_record__error_code_no_output),
		cmocka_unit_test(bedrock__invoke_model_guardrail__action_and_flag),
		cmocka_unit_test(bedrock__external_bodies__refs_then_derive_later),
		cmocka_unit_test(bedrock__derive_table__every_shape),
		cmocka_unit_test(bedrock__huge_prompt__truncated_and_reported),
		cmocka_unit_test(bedrock__missing_required__not_usable),
	};
	return cmocka_run_group_tests_name("bedrock", tests, setup, teardown);
}
