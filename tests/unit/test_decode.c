/*
 * test_decode.c — sniffing and framing (decode.h): which format wins for
 * each real shape of evidence, record counts, line numbers / ordinals,
 * byte-exact raw spans and offsets, problems with their lines, salvage of
 * damaged files, batching (flush + arena reset), chunked decoding that
 * agrees with whole-member decoding, and the caps.
 */
#include "tests/unit/decode_fixture.h"

#include "common/arena.h"
#include "common/buf.h"
#include "ingest/json.h"

static ev_provenance prov = {"evidence.tar.gz", "AWSLogs/x.json.gz", "", 0};

static void compare_chunked(const char *text, size_t len, const decode_options *o);

typedef struct run {
	arena *a;
	char *text;
	size_t len;
	collected col;
	decode_result res;
	lt_error err;
	lt_status st;
} run;

static run *decode_text(const char *text, size_t len, const decode_options *o)
{
	run *r = calloc(1, sizeof *r);
	r->a = arena_new(0, 0);
	r->text = malloc(len + 1);
	memcpy(r->text, text, len);
	r->text[len] = '\0';
	r->len = len;
	decode_sink s = col_sink(&r->col);
	r->st = decode_member_ex(r->text, len, &prov, r->a, &s, o, &r->res, &r->err);
	return r;
}

static run *decode_file(const char *name)
{
	size_t len;
	char *text = fixture(name, &len);
	run *r = decode_text(text, len, NULL);
	free(text);
	return r;
}

static run *decode_str(const char *s)
{
	return decode_text(s, strlen(s), NULL);
}

static void run_free(run *r)
{
	arena_free(r->a);
	free(r->text);
	free(r);
}

/* raw must be the member's own bytes at offset. */
static void check_raw_in_place(const run *r, const event *ev)
{
	assert_true(ev->offset + ev->raw.n <= r->len);
	assert_ptr_equal(ev->raw.p, r->text + ev->offset);
	assert_int_equal(ev->raw.p[0], '{');
	assert_int_equal(ev->raw.p[ev->raw.n - 1], '}');
	assert_int_equal(ev->doc->end - ev->doc->start, ev->raw.n);
}

static void decode__records_file__every_record_byte_exact(void **state)
{
	(void)state;
	run *r = decode_file("cloudtrail_bedrock.json");
	assert_int_equal(r->st, LT_OK);
	assert_string_equal(r->res.format, "cloudtrail");
	assert_int_equal(r->res.records, 8);
	assert_int_equal(r->res.events, 8);
	assert_int_equal(r->res.problems, 0);
	assert_int_equal(r->res.status, LT_OK);
	assert_int_equal(r->col.n, 8);
	assert_int_equal(r->col.ev[0].offset, strlen("{\"Records\":["));
	for (size_t i = 0; i < 8; i++) {
		const event *ev = &r->col.ev[i];
		assert_int_equal(ev->line, i + 1);
		assert_ptr_equal(ev->prov, &prov);
		assert_int_equal(ev->source, EV_SRC_CLOUDTRAIL);
		check_raw_in_place(r, ev);
		if (i > 0) /* records are separated by exactly one comma */
			assert_int_equal(ev->offset, r->col.ev[i - 1].offset + r->col.ev[i - 1].raw.n + 1);
	}
	assert_int_equal(r->col.ev[7].offset + r->col.ev[7].raw.n, r->len - 2); /* then "]}" */
	CHECK_STR(r->col.ev[0].uid, "6f0e1d2c-1111-4222-8333-944455566601");
	CHECK_STR(r->col.ev[7].action, "Converse");
	run_free(r);
}

static void decode__jsonl_bad_lines__problems_name_lines(void **state)
{
	(void)state;
	run *r = decode_file("cloudtrail_records.jsonl");
	assert_string_equal(r->res.format, "cloudtrail-jsonl");
	assert_int_equal(r->st, LT_EITEM);
	assert_int_equal(r->res.records, 5);
	assert_int_equal(r->res.events, 3);
	assert_int_equal(r->res.problems, 2);
	assert_int_equal(r->col.ev[0].line, 1);
	assert_int_equal(r->col.ev[1].line, 2);
	assert_int_equal(r->col.ev[2].line, 5); /* a CRLF line: raw excludes the \r */
	CHECK_STR(r->col.ev[2].action, "GetCallerIdentity");
	for (size_t i = 0; i < 3; i++)
		check_raw_in_place(r, &r->col.ev[i]);
	assert_int_equal(r->col.problems[0].line, 4);
	assert_non_null(strstr(r->col.problems[0].msg, "invalid JSON"));
	assert_string_equal(r->col.problems[0].file, "evidence.tar.gz");
	assert_string_equal(r->col.problems[0].member, "AWSLogs/x.json.gz");
	assert_int_equal(r->col.problems[1].line, 6);
	assert_non_null(strstr(r->col.problems[1].msg, "eventID"));
	assert_int_equal(r->err.status, LT_EITEM);
	run_free(r);
}

static void decode__bare_array__ordinals(void **state)
{
	(void)state;
	run *r = decode_file("cloudtrail_array.json");
	assert_string_equal(r->res.format, "cloudtrail-array");
	assert_int_equal(r->st, LT_OK);
	assert_int_equal(r->res.events, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(r->col.ev[i].line, i + 1);
		check_raw_in_place(r, &r->col.ev[i]);
	}
	CHECK_STR(r->col.ev[2].action, "PutModelInvocationLoggingConfiguration");
	run_free(r);
	r = decode_str("[]");
	assert_string_equal(r->res.format, "cloudtrail-array");
	assert_int_equal(r->res.records, 0);
	run_free(r);
	r = decode_str("[{\"type\":\"message_start\"},{\"type\":\"message_stop\"}]");
	assert_string_equal(r->res.format, "json-object"); /* a stream body under data/ */
	assert_non_null(r->col.object);
	run_free(r);
}

static void decode__lookup_events__embedded_record_is_raw(void **state)
{
	(void)state;
	run *r = decode_file("lookup_events.json");
	assert_string_equal(r->res.format, "cloudtrail-lookup");
	assert_int_equal(r->st, LT_OK);
	assert_int_equal(r->res.events, 2);
	const event *ev = &r->col.ev[0];
	CHECK_STR(ev->uid, "6f0e1d2c-1111-4222-8333-944455566601");
	CHECK_STR(ev->principal, "arn:aws:sts::111122223333:assumed-role/BedrockUser/alice");
	assert_int_equal(ev->line, 1);
	assert_int_equal(r->text[ev->offset], '"'); /* the CloudTrailEvent string literal */
	assert_true(ev->raw.n > 100 && memcmp(ev->raw.p, "{\"eventVersion\":\"1.09\",", 23) == 0);
	/* raw is the decoded embedded text: identical to the log-file record */
	size_t n;
	char *file = fixture("cloudtrail_bedrock.json", &n);
	assert_int_equal(memcmp(file + 12, ev->raw.p, ev->raw.n), 0);
	free(file);
	CHECK_STR(r->col.ev[1].action, "GetCallerIdentity");
	assert_int_equal(r->col.ev[1].line, 2);
	run_free(r);
	/* the same events as a bare array (aws ... --query Events) */
	r = decode_str("[{\"EventId\":\"e\",\"CloudTrailEvent\":\"{\\\"eventVersion\\\":\\\"1.09\\\",\\\"eventTime\\\":\\\"2024-05-01T12:00:00Z\\\",\\\"eventID\\\":\\\"e1\\\"}\"}]");
	assert_string_equal(r->res.format, "cloudtrail-array");
	assert_int_equal(r->res.events, 1);
	CHECK_STR(r->col.ev[0].uid, "e1");
	run_free(r);
}

static uint64_t line_of(const run *r, uint64_t off)
{
	uint64_t line = 1;
	for (uint64_t i = 0; i < off; i++)
		line += r->text[i] == '\n';
	return line;
}

static void decode__pretty_concatenated_records__lines_of_starts(void **state)
{
	(void)state;
	run *r = decode_file("cloudtrail_pretty.json");
	assert_string_equal(r->res.format, "cloudtrail-jsonl");
	assert_int_equal(r->st, LT_OK);
	assert_int_equal(r->res.events, 2);
	assert_int_equal(r->col.ev[0].line, 1);
	assert_true(r->col.ev[1].line > 20);
	assert_int_equal(r->col.ev[1].line, line_of(r, r->col.ev[1].offset));
	check_raw_in_place(r, &r->col.ev[1]);
	run_free(r);
}

static void decode__invocation_log__all_records(void **state)
{
	(void)state;
	run *r = decode_file("invocations.jsonl");
	assert_string_equal(r->res.format, "invocation-jsonl");
	assert_int_equal(r->st, LT_OK);
	assert_int_equal(r->res.records, 19);
	assert_int_equal(r->res.events, 19);
	assert_int_equal(r->res.problems, 0);
	for (size_t i = 0; i < 19; i++) {
		assert_int_equal(r->col.ev[i].line, i + 1);
		assert_int_equal(r->col.ev[i].source, EV_SRC_INVOCATION);
		check_raw_in_place(r, &r->col.ev[i]);
	}
	const event *ev = find_uid(&r->col, "req-stream-anthropic");
	CHECK_STR(ev->response, "Hello, world");
	assert_int_equal(ev->latency_ms, 1234);
	ev = find_uid(&r->col, "req-converse-guard");
	assert_true(ev->flags & EV_F_GUARDRAIL);
	run_free(r);
}

static void decode__invocation_bad_lines__kept_going(void **state)
{
	(void)state;
	run *r = decode_file("invocations_bad.jsonl");
	assert_string_equal(r->res.format, "invocation-jsonl");
	assert_int_equal(r->st, LT_EITEM);
	assert_int_equal(r->res.records, 6);
	assert_int_equal(r->res.events, 3);
	assert_int_equal(r->res.problems, 4);
	assert_int_equal(r->col.ev[0].line, 1);
	assert_int_equal(r->col.ev[1].line, 6);
	assert_int_equal(r->col.ev[2].line, 7);
	const event *bad = find_uid(&r->col, "req-bad-utf8");
	assert_true(bad->flags & EV_F_UTF8_REPLACED);
	CHECK_STR(bad->prompt, "caf\xEF\xBF\xBD"); /* U+FFFD */
	assert_int_equal(r->col.problems[0].line, 2);
	assert_non_null(strstr(r->col.problems[0].msg, "invalid JSON"));
	assert_int_equal(r->col.problems[1].line, 4);
	assert_non_null(strstr(r->col.problems[1].msg, "requestId"));
	assert_int_equal(r->col.problems[2].line, 5);
	assert_non_null(strstr(r->col.problems[2].msg, "timestamp"));
	assert_int_equal(r->col.problems[3].line, 6);
	assert_non_null(strstr(r->col.problems[3].msg, "UTF-8"));
	run_free(r);
}

static void decode__cloudwatch_export__prefix_time_fallback(void **state)
{
	(void)state;
	run *r = decode_file("invocations_cloudwatch.log");
	assert_string_equal(r->res.format, "invocation-cloudwatch");
	assert_int_equal(r->res.records, 4);
	assert_int_equal(r->res.events, 3);
	assert_int_equal(r->res.problems, 1);
	const event *ev = &r->col.ev[0];
	assert_int_equal(ev->offset, strlen("2024-05-01T12:00:01.123Z "));
	check_raw_in_place(r, ev);
	CHECK_STR(ev->uid, "req-titan");
	assert_int_equal(ev->time_us, 1714564801000000LL); /* the record's own timestamp wins */
	ev = &r->col.ev[2];
	CHECK_STR(ev->uid, "req-mistral");
	assert_int_equal(ev->line, 3);
	assert_int_equal(ev->time_us, 1714564803000000LL);
	assert_true(ev->flags & EV_F_TIME_FALLBACK);
	assert_int_equal(r->col.problems[0].line, 4);
	run_free(r);
}

static void decode__not_evidence__skipped_without_problem(void **state)
{
	(void)state;
	static const char *const files[] = {"README.md", "pixel.png"};
	for (size_t i = 0; i < 2; i++) {
		run *r = decode_file(files[i]);
		assert_string_equal(r->res.format, "not-evidence");
		assert_int_equal(r->st, LT_OK);
		assert_int_equal(r->res.problems + r->res.records + r->col.n, 0);
		run_free(r);
	}
	static const char *const texts[] = {"", "   \n\n", "hello world\n", "\x7f" "ELF\x02\x01", "2024 was a year\n"};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		run *r = decode_text(texts[i], strlen(texts[i]) + (i == 3 ? 1 : 0), NULL);
		assert_string_equal(r->res.format, "not-evidence");
		assert_int_equal(r->res.problems, 0);
		run_free(r);
	}
	run *r = decode_text("\xFF\xFE{\0\"\0", 6, NULL); /* UTF-16LE JSON: reported */
	assert_string_equal(r->res.format, "not-evidence");
	assert_int_equal(r->st, LT_EFILE);
	assert_non_null(strstr(r->col.problems[0].msg, "UTF-16"));
	run_free(r);
	r = decode_text("{\0\"Records\":[]}", 15, NULL); /* a NUL byte, not UTF-16 (issue 22 #15) */
	assert_int_equal(r->st, LT_EFILE);
	assert_string_equal(r->col.problems[0].msg, "NUL byte at offset 1: not UTF-8 JSON text");
	run_free(r);
}

static void decode__digest__handed_to_sink(void **state)
{
	(void)state;
	run *r = decode_file("digest.json");
	assert_string_equal(r->res.format, "cloudtrail-digest");
	assert_int_equal(r->st, LT_OK);
	assert_non_null(r->col.digest);
	assert_true(json_str_eq(json_get(r->col.digest, "digestSignatureAlgorithm"), "SHA256withRSA"));
	assert_int_equal(r->res.events, 0);
	run_free(r);
	r = decode_str("{\"digestStartTime\":\"2024-05-01T12:00:00Z\",\"digestEndTime\":\"x\",\"logFiles\":[]}");
	assert_string_equal(r->res.format, "cloudtrail-digest");
	assert_int_equal(r->st, LT_EITEM);
	assert_non_null(strstr(r->col.problems[0].msg, "digestEndTime"));
	assert_non_null(r->col.digest);
	run_free(r);
}

static void decode__json_object__body_and_invalid(void **state)
{
	(void)state;
	run *r = decode_file("body_external.json");
	assert_string_equal(r->res.format, "json-object");
	assert_int_equal(r->st, LT_OK);
	assert_non_null(r->col.object);
	assert_non_null(json_get(r->col.object, "messages"));
	run_free(r);
	r = decode_str("{\"a\":\n[1,2,");
	assert_string_equal(r->res.format, "json-object");
	assert_int_equal(r->st, LT_EFILE);
	assert_int_equal(r->res.problems, 1);
	run_free(r);
}

static void decode__truncated_records_file__salvages_prefix(void **state)
{
	(void)state;
	size_t len;
	char *text = fixture("cloudtrail_bedrock.json", &len);
	run *whole = decode_text(text, len, NULL);
	size_t cut = whole->col.ev[3].offset + whole->col.ev[3].raw.n / 2;
	run *r = decode_text(text, cut, NULL);
	assert_int_equal(r->st, LT_EFILE);
	assert_int_equal(r->res.events, 3);
	assert_int_equal(r->res.problems, 1);
	assert_int_equal(r->col.problems[0].line, 4);
	assert_int_equal(r->col.problems[0].status, LT_EFILE);
	run_free(r);
	/* zcat of two log files: one member, two documents */
	char *twice = malloc(2 * len);
	memcpy(twice, text, len);
	memcpy(twice + len, text, len);
	r = decode_text(twice, 2 * len, NULL);
	assert_string_equal(r->res.format, "cloudtrail");
	assert_int_equal(r->st, LT_OK);
	assert_int_equal(r->res.events, 16);
	assert_int_equal(r->col.ev[15].line, 16);
	assert_int_equal(r->col.ev[8].offset, len + 12);
	run_free(r);
	free(twice);
	run_free(whole);
	free(text);
}

static void decode__records_variants__key_order_and_trailers(void **state)
{
	(void)state;
	const char *rec = "{\"eventID\":\"e1\",\"eventTime\":\"2024-05-01T12:00:00Z\",\"eventVersion\":\"1.09\"}";
	char doc[512];
	snprintf(doc, sizeof doc, "{\"foo\":1,\"Records\":[%s]}", rec);
	run *r = decode_str(doc);
	assert_string_equal(r->res.format, "cloudtrail");
	assert_int_equal(r->res.events, 1);
	check_raw_in_place(r, &r->col.ev[0]);
	run_free(r);
	snprintf(doc, sizeof doc, "\xEF\xBB\xBF {\"Records\" : [ %s ] , \"x\":{\"y\":[1]} }\n", rec);
	r = decode_str(doc);
	assert_string_equal(r->res.format, "cloudtrail");
	assert_int_equal(r->st, LT_OK);
	assert_int_equal(r->res.events, 1);
	assert_int_equal(r->col.ev[0].offset, 3 + strlen(" {\"Records\" : [ "));
	run_free(r);
	snprintf(doc, sizeof doc, "{\"Records\":[%s],\"Records\":[%s,%s]}", rec, rec, rec);
	r = decode_str(doc);
	assert_int_equal(r->res.events, 3); /* a duplicate key hides nothing */
	assert_int_equal(r->col.ev[2].line, 3);
	assert_int_equal(r->res.problems, 1);
	assert_non_null(strstr(r->col.problems[0].msg, "duplicate"));
	run_free(r);
	snprintf(doc, sizeof doc, "{\"Records\":[%s]} garbage", rec);
	r = decode_str(doc);
	assert_int_equal(r->res.events, 1);
	assert_int_equal(r->st, LT_EFILE);
	run_free(r);
	/* a record whose keys come in another order, invalid UTF-8 inside */
	r = decode_str("{\"Records\":[{\"eventVersion\":\"1.08\",\"eventName\":\"\xC3\x28\",\"eventID\":\"u\",\"eventTime\":\"2024-05-01T00:00:00Z\"}]}");
	assert_int_equal(r->res.events, 1);
	assert_true(r->col.ev[0].flags & EV_F_UTF8_REPLACED);
	assert_int_equal(r->res.problems, 1);
	run_free(r);
}

static void decode__mixed_lines__each_record_classified(void **state)
{
	(void)state;
	run *r = decode_str("{\"requestId\":\"r1\",\"timestamp\":\"2024-05-01T12:00:00Z\",\"operation\":\"Converse\",\"schemaType\":\"ModelInvocationLog\"}\n"
			    "{\"eventVersion\":\"1.09\",\"eventTime\":\"2024-05-01T12:00:00Z\",\"eventID\":\"e1\"}\n"
			    "{\"hello\":1}\n"
			    "[1]\n");
	assert_string_equal(r->res.format, "invocation-jsonl"); /* schemaType last still sniffs */
	assert_int_equal(r->res.events, 2);
	assert_int_equal(r->col.ev[0].source, EV_SRC_INVOCATION);
	assert_int_equal(r->col.ev[1].source, EV_SRC_CLOUDTRAIL);
	assert_int_equal(r->res.problems, 2);
	assert_non_null(strstr(r->col.problems[0].msg, "timestamp")); /* default kind: invocation */
	assert_int_equal(r->col.problems[1].line, 4);
	run_free(r);
}

static void decode__unclosed_lines__one_problem_each_then_recovers(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(buf_puts(&b, "{\"a\":\n"), LT_OK);
	assert_int_equal(buf_puts(&b, "{\"eventVersion\":\"1.09\",\"eventTime\":\"2024-05-01T12:00:00Z\",\"eventID\":\"ok\"}\n"), LT_OK);
	run *r = decode_text(b.data, b.len, NULL);
	assert_int_equal(r->res.problems, 300);
	assert_int_equal(r->res.events, 1);
	assert_int_equal(r->col.ev[0].line, 301);
	assert_int_equal(r->col.problems[63].line, 64);
	run_free(r);
	compare_chunked(b.data, b.len, NULL);
	buf_free(&b);
}

static void decode__small_batches__flush_then_reset(void **state)
{
	(void)state;
	size_t len;
	char *text = fixture("invocations.jsonl", &len);
	decode_options o = {0, 1, 0};
	run *r = decode_text(text, len, &o);
	assert_int_equal(r->res.events, 19);
	assert_int_equal(r->col.flushes, 19);
	assert_int_equal(arena_used(r->a), 0);
	run_free(r);
	char *arr = fixture("cloudtrail_bedrock.json", &len);
	r = decode_text(arr, len, &o);
	assert_int_equal(r->col.flushes, 8);
	run_free(r);
	free(arr);
	free(text);
}

static void decode__sink_stops__efile_returned(void **state)
{
	(void)state;
	size_t len;
	char *text = fixture("invocations.jsonl", &len);
	arena *a = arena_new(0, 0);
	collected c;
	memset(&c, 0, sizeof c);
	c.stop_after = 2;
	decode_sink s = col_sink(&c);
	decode_result res;
	lt_error err;
	assert_int_equal(decode_member(text, len, &prov, a, &s, &res, &err), LT_EFILE);
	assert_int_equal(c.n, 2);
	assert_int_equal(res.events, 2);
	assert_non_null(strstr(err.msg, "stopped"));
	decode_sink none = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
	assert_int_equal(decode_member(text, len, &prov, a, &none, &res, &err), LT_EFATAL);
	arena_free(a);
	free(text);
}

/* ---- progress (on_progress) --------------------------------------------- */

typedef struct told {
	uint64_t at[64];
	size_t n;
	size_t before_first_event; /* on_progress calls before the first event */
	uint64_t events;
} told;

static lt_status told_event(void *ctx, const event *ev)
{
	told *t = ctx;
	(void)ev;
	if (t->events++ == 0)
		t->before_first_event = t->n;
	return LT_OK;
}

static void told_progress(void *ctx, uint64_t offset)
{
	told *t = ctx;
	assert_true(t->n < sizeof t->at / sizeof t->at[0]);
	t->at[t->n++] = offset;
}

/* A member that starts with 3 MiB of blanks (a padded leaf of a nested
 * archive, issue 22): the decoder tells how far it has read while it skips
 * them, not only at records, so a caller decoding a mapping can let the pages
 * behind go; offsets rise by at least DECODE_PROGRESS_STEP and stay inside. */
static void decode__progress__told_through_leading_blanks(void **state)
{
	(void)state;
	size_t flen, pad = 3 * DECODE_PROGRESS_STEP + 5;
	char *lines = fixture("invocations.jsonl", &flen);
	char *text = malloc(pad + flen);
	memset(text, ' ', pad);
	text[pad / 2] = '\n';
	memcpy(text + pad, lines, flen);
	told t;
	memset(&t, 0, sizeof t);
	decode_sink s = {&t, told_event, NULL, NULL, NULL, NULL, told_progress};
	arena *a = arena_new(0, 0);
	decode_result res, alone;
	lt_error err;
	assert_true(decode_member(text, pad + flen, &prov, a, &s, &res, &err) <= LT_EITEM);
	assert_string_equal(res.format, "invocation-jsonl");
	assert_true(t.before_first_event >= 3);
	for (size_t i = 0; i < t.n; i++) {
		assert_true(t.at[i] <= pad + flen);
		if (i > 0)
			assert_true(t.at[i] >= t.at[i - 1] + DECODE_PROGRESS_STEP);
	}
	/* the same events as the lines alone */
	told u;
	memset(&u, 0, sizeof u);
	s.ctx = &u;
	arena_reset(a);
	assert_true(decode_member(lines, flen, &prov, a, &s, &alone, &err) <= LT_EITEM);
	assert_int_equal(res.events, alone.events);
	assert_true(alone.events > 0);
	assert_int_equal(t.events, u.events);
	arena_free(a);
	free(text);
	free(lines);
}

/* ---- chunked decoding ---------------------------------------------------- */

typedef struct trace {
	buf log;
	const char *orig;
} trace;

static lt_status trace_event(void *ctx, const event *ev)
{
	trace *t = ctx;
	assert_int_equal(memcmp(ev->raw.p, t->orig + ev->offset, ev->raw.n), 0);
	assert_int_equal(buf_printf(&t->log, "E %.*s line %llu off %llu len %zu\n", (int)ev->uid.n,
				    ev->uid.p != NULL ? ev->uid.p : "", (unsigned long long)ev->line,
				    (unsigned long long)ev->offset, ev->raw.n),
			 LT_OK);
	return LT_OK;
}

static void trace_problem(void *ctx, const lt_error *e)
{
	trace *t = ctx;
	assert_int_equal(buf_printf(&t->log, "P line %llu: %.40s\n", (unsigned long long)e->line, e->msg), LT_OK);
}

static void trace_whole(const char *text, size_t len, const decode_options *o, buf *out)
{
	trace t = {*out, text};
	decode_sink s = {&t, trace_event, trace_problem, NULL, NULL, NULL, NULL};
	arena *a = arena_new(0, 0);
	decode_result res;
	lt_error err;
	lt_status st = decode_member_ex(text, len, &prov, a, &s, o, &res, &err);
	assert_true(st <= LT_EFILE);
	buf_printf(&t.log, "records %llu events %llu problems %llu\n", (unsigned long long)res.records,
		   (unsigned long long)res.events, (unsigned long long)res.problems) == LT_OK ? (void)0 : fail();
	*out = t.log;
	arena_free(a);
}

static void trace_chunked(const char *text, size_t len, size_t step, const decode_options *o, buf *out)
{
	trace t = {*out, text};
	decode_sink s = {&t, trace_event, trace_problem, NULL, NULL, NULL, NULL};
	arena *a = arena_new(0, 0);
	const decode_format *f = decode_sniff(text, len < 4096 ? len : 4096, a);
	assert_true(decode_format_chunkable(f));
	arena_reset(a);
	decode_result res;
	memset(&res, 0, sizeof res);
	decode_cursor cur = {.line = 1};
	char *window = malloc(len + step + 1);
	size_t have = 0, fed = 0;
	for (;;) {
		size_t take = len - fed < step ? len - fed : step;
		memcpy(window + have, text + fed, take);
		have += take;
		fed += take;
		bool final = fed == len;
		size_t used = 0;
		lt_error err;
		uint64_t before = cur.offset;
		lt_status st = decode_chunk(f, window, have, final, &cur, &used, &prov, a, &s, o, &res, &err);
		assert_true(st <= LT_EITEM);
		assert_int_equal(cur.offset, before + used);
		memmove(window, window + used, have - used);
		have -= used;
		arena_reset(a);
		if (final)
			break;
	}
	assert_int_equal(have, 0);
	assert_int_equal(buf_printf(&t.log, "records %llu events %llu problems %llu\n",
				    (unsigned long long)res.records, (unsigned long long)res.events,
				    (unsigned long long)res.problems),
			 LT_OK);
	*out = t.log;
	free(window);
	arena_free(a);
}

static void compare_chunked(const char *text, size_t len, const decode_options *o)
{
	buf whole;
	buf_init(&whole, 0);
	trace_whole(text, len, o, &whole);
	static const size_t steps[] = {1, 7, 64, 97, 1000, 5000};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		buf chunked;
		buf_init(&chunked, 0);
		trace_chunked(text, len, steps[i], o, &chunked);
		if (strcmp(buf_cstr(&whole), buf_cstr(&chunked)) != 0)
			fail_msg("step %zu differs:\n--- whole\n%s--- chunked\n%s", steps[i], buf_cstr(&whole),
				 buf_cstr(&chunked));
		buf_free(&chunked);
	}
	buf_free(&whole);
}

static void decode__chunks__same_as_whole_member(void **state)
{
	(void)state;
	static const char *const files[] = {"invocations.jsonl", "invocations_bad.jsonl",
					    "cloudtrail_records.jsonl", "cloudtrail_pretty.json",
					    "invocations_cloudwatch.log"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		size_t len;
		char *text = fixture(files[i], &len);
		compare_chunked(text, len, NULL);
		free(text);
	}
}

static void decode__record_cap__long_line_reported_then_skipped(void **state)
{
	(void)state;
	char text[1024];
#define REC "{\"eventVersion\":\"1.09\",\"eventTime\":\"2024-05-01T12:00:00Z\",\"eventID\":\"e%d\",\"x\":\"%s\"}\n"
	char pad[301];
	memset(pad, 'p', 300);
	pad[300] = '\0';
	int n = snprintf(text, sizeof text, REC, 1, "");
	n += snprintf(text + n, sizeof text - (size_t)n, REC, 2, pad);
	n += snprintf(text + n, sizeof text - (size_t)n, REC, 3, "");
	/* a complete object, then blanks that make the line too long (found by fuzzing:
	 * a chunk ending inside the blanks must not decode the object) */
	n--;
	memset(text + n, ' ', 250);
	n += 250;
	n += snprintf(text + n, sizeof text - (size_t)n, "\n");
	decode_options o = {200, 0, 0};
	run *r = decode_text(text, (size_t)n, &o);
	assert_int_equal(r->res.events, 1);
	assert_int_equal(r->res.problems, 2);
	assert_int_equal(r->col.problems[1].line, 3);
	run_free(r);
	compare_chunked(text, (size_t)n, &o);
	n -= 251;
	text[n++] = '\n';
	r = decode_text(text, (size_t)n, &o);
	assert_int_equal(r->res.events, 2);
	assert_int_equal(r->res.problems, 1);
	assert_int_equal(r->col.problems[0].line, 2);
	assert_non_null(strstr(r->col.problems[0].msg, "longer than 200"));
	CHECK_STR(r->col.ev[1].uid, "e3");
	assert_int_equal(r->col.ev[1].line, 3);
	run_free(r);
	compare_chunked(text, (size_t)n, &o);
	/* CloudWatch lines obey the same cap */
	char cw[1024];
	int m = snprintf(cw, sizeof cw, "2024-05-01T12:00:00Z {\"requestId\":\"a\",\"timestamp\":\"2024-05-01T12:00:00Z\",\"operation\":\"Converse\"}\n"
					"2024-05-01T12:00:00Z {\"requestId\":\"b\",\"operation\":\"Converse\",\"p\":\"%s\"}\n"
					"2024-05-01T12:00:00Z {\"requestId\":\"c\",\"operation\":\"Converse\"}\n", pad);
	r = decode_text(cw, (size_t)m, &o);
	assert_string_equal(r->res.format, "invocation-cloudwatch");
	assert_int_equal(r->res.events, 2);
	assert_int_equal(r->col.problems[0].line, 2);
	run_free(r);
	compare_chunked(cw, (size_t)m, &o);
}

static void decode__format_table__registered_names(void **state)
{
	(void)state;
	static const char *const names[] = {"cloudtrail", "cloudtrail-jsonl", "cloudtrail-array",
					    "cloudtrail-lookup", "cloudtrail-digest", "invocation-jsonl",
					    "invocation-cloudwatch", "kb-log-jsonl", "cloudwatch-events",
					    "cloudwatch-subscription", "json-object", "not-evidence"};
	size_t n = 0;
	const decode_format *const *all = decode_formats(&n);
	assert_int_equal(n, 12);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(decode_format_name(all[i]), names[i]);
		assert_ptr_equal(decode_format_find(names[i]), all[i]);
	}
	assert_null(decode_format_find("csv"));
	assert_true(decode_format_chunkable(decode_format_find("invocation-jsonl")));
	assert_false(decode_format_chunkable(decode_format_find("cloudtrail")));
	arena *a = arena_new(0, 0);
	decode_cursor cur = {.line = 1};
	size_t used;
	collected c;
	memset(&c, 0, sizeof c);
	decode_sink s = col_sink(&c);
	decode_result res;
	memset(&res, 0, sizeof res);
	lt_error err;
	assert_int_equal(decode_chunk(decode_format_find("cloudtrail"), "{}", 2, true, &cur, &used, &prov,
				      a, &s, NULL, &res, &err),
			 LT_EFILE);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode__records_file__every_record_byte_exact),
		cmocka_unit_test(decode__jsonl_bad_lines__problems_name_lines),
		cmocka_unit_test(decode__bare_array__ordinals),
		cmocka_unit_test(decode__lookup_events__embedded_record_is_raw),
		cmocka_unit_test(decode__pretty_concatenated_records__lines_of_starts),
		cmocka_unit_test(decode__invocation_log__all_records),
		cmocka_unit_test(decode__invocation_bad_lines__kept_going),
		cmocka_unit_test(decode__cloudwatch_export__prefix_time_fallback),
		cmocka_unit_test(decode__not_evidence__skipped_without_problem),
		cmocka_unit_test(decode__digest__handed_to_sink),
		cmocka_unit_test(decode__json_object__body_and_invalid),
		cmocka_unit_test(decode__truncated_records_file__salvages_prefix),
		cmocka_unit_test(decode__records_variants__key_order_and_trailers),
		cmocka_unit_test(decode__mixed_lines__each_record_classified),
		cmocka_unit_test(decode__unclosed_lines__one_problem_each_then_recovers),
		cmocka_unit_test(decode__small_batches__flush_then_reset),
		cmocka_unit_test(decode__sink_stops__efile_returned),
		cmocka_unit_test(decode__progress__told_through_leading_blanks),
		cmocka_unit_test(decode__chunks__same_as_whole_member),
		cmocka_unit_test(decode__record_cap__long_line_reported_then_skipped),
		cmocka_unit_test(decode__format_table__registered_names),
	};
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
