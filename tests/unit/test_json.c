/*
 * test_json.c — unit tests for ingest/json (parser, lookup, numbers, writer).
 * JSONTestSuite conformance lives in test_jsontestsuite.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"
#include "ingest/json.h"
#include "json_equal.h"

typedef struct fixture {
	arena *a;
	lt_error err;
	size_t consumed;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (f == NULL)
		return -1;
	f->a = arena_new(0, 0);
	*state = f;
	return f->a != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	fixture *f = *state;
	arena_free(f->a);
	free(f);
	return 0;
}

/* Parses text (NUL-terminated) with flags/depth; returns the root or NULL. */
static json_value *parse_opts(fixture *f, const char *text, unsigned flags, unsigned depth)
{
	json_options o = {flags, depth};
	json_value *v = NULL;
	lt_error_clear(&f->err);
	f->consumed = (size_t)-1;
	lt_status st = json_parse(f->a, text, strlen(text), &o, &v, &f->consumed, &f->err);
	if (st != LT_OK) {
		assert_int_equal(st, LT_EITEM);
		assert_null(v);
		return NULL;
	}
	assert_non_null(v);
	return v;
}

static json_value *parse(fixture *f, const char *text)
{
	return parse_opts(f, text, 0, 0);
}

/* Asserts that text fails at offset with a message containing want. */
static void assert_fails(fixture *f, const char *text, unsigned flags, uint64_t offset, const char *want)
{
	assert_null(parse_opts(f, text, flags, 0));
	assert_int_equal(f->err.status, LT_EITEM);
	if (strstr(f->err.msg, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", f->err.msg, want);
	assert_int_equal(f->err.offset, offset);
}

static void assert_str(const json_value *v, const char *want, size_t n)
{
	assert_non_null(v);
	assert_int_equal(v->type, JSON_STRING);
	assert_int_equal(v->len, n);
	assert_memory_equal(v->u.s, want, n);
}

/* ------------------------------------------------------------ values */

static void json__scalars__parse_each_type(void **state)
{
	fixture *f = *state;
	json_value *v = parse(f, "[null, false, true, -12.5e+3, \"hi\", [], {}]");
	assert_non_null(v);
	assert_int_equal(v->type, JSON_ARRAY);
	assert_int_equal(v->len, 7);
	json_type want[] = {JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT};
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(v->u.items[i].type, want[i]);
	assert_int_equal(v->u.items[3].len, 8);
	assert_memory_equal(v->u.items[3].u.s, "-12.5e+3", 8);
	assert_str(&v->u.items[4], "hi", 2);
	assert_int_equal(v->u.items[5].len, 0);
	assert_int_equal(v->u.items[6].len, 0);
	v = parse(f, "  42 \n");
	assert_int_equal(v->type, JSON_NUMBER);
	assert_int_equal(v->len, 2);
}

static void json__spans__exact_start_end(void **state)
{
	fixture *f = *state;
	const char *t = " {\"a\" : [1, \"xy\" ,true], \"b\":{\"c\":null}} ";
	json_value *v = parse(f, t);
	assert_non_null(v);
	assert_int_equal(v->start, 1);
	assert_int_equal(v->end, strlen(t) - 1);
	const json_value *a = json_get(v, "a");
	assert_int_equal(a->start, 8);
	assert_int_equal(a->end, 23);
	assert_int_equal(a->u.items[0].start, 9);
	assert_int_equal(a->u.items[0].end, 10);
	assert_int_equal(a->u.items[1].start, 12);
	assert_int_equal(a->u.items[1].end, 16); /* quotes included */
	assert_int_equal(a->u.items[2].start, 18);
	assert_int_equal(a->u.items[2].end, 22);
	const json_value *c = json_get_path(v, "b.c");
	assert_int_equal(c->type, JSON_NULL);
	assert_memory_equal(t + c->start, "null", 4);
	assert_int_equal(c->end - c->start, 4);
	const json_value *b = json_get(v, "b");
	assert_memory_equal(t + b->start, "{\"c\":null}", b->end - b->start);
}

static void json__plain_string__points_into_input(void **state)
{
	fixture *f = *state;
	const char *t = "\"plain text, long enough for the vector loop: caf\xC3\xA9 \xF0\x9F\x98\x80\"";
	json_value *v = parse(f, t);
	assert_non_null(v);
	assert_ptr_equal(v->u.s, t + 1);
	assert_int_equal(v->len, strlen(t) - 2);
	assert_int_equal(v->flags, 0);
}

static void json__escapes__decoded_into_arena(void **state)
{
	fixture *f = *state;
	const char *t = "\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\\u0041\\u00e9\\u20AC\"";
	json_value *v = parse(f, t);
	const char want[] = "a\"b\\c/d\be\ff\ng\rh\tiA\xC3\xA9\xE2\x82\xAC";
	assert_str(v, want, sizeof want - 1);
	assert_true(v->flags & JSON_F_ESCAPED);
	assert_false(v->flags & JSON_F_REPLACED);
	assert_true(v->u.s < t || v->u.s > t + strlen(t));
}

static void json__long_string__escape_after_plain_prefix(void **state)
{
	fixture *f = *state;
	/* 40 plain bytes (past one 16-byte block), an escape, 3-byte UTF-8, a bad byte, 20 plain bytes */
	const char *t = "{\"k\":\"0123456789abcdefghijklmnopqrstuvwxyzABCD\\n\xE2\x82\xAC\xFF" "EFGHIJKLMNOPQRSTUVWX\"}";
	json_value *v = parse(f, t);
	assert_non_null(v);
	const char want[] = "0123456789abcdefghijklmnopqrstuvwxyzABCD\n\xE2\x82\xAC\xEF\xBF\xBD" "EFGHIJKLMNOPQRSTUVWX";
	const json_value *k = json_get(v, "k");
	assert_str(k, want, sizeof want - 1);
	assert_int_equal(k->flags, JSON_F_ESCAPED | JSON_F_REPLACED);
	assert_int_equal(k->start, 5);
	assert_int_equal(k->end, strlen(t) - 1);
	assert_true(v->flags & JSON_F_REPLACED);
	assert_false(v->flags & JSON_F_ESCAPED);
}

static void json__nul_escape__keeps_nul_byte(void **state)
{
	fixture *f = *state;
	json_value *v = parse(f, "\"a\\u0000b\"");
	assert_str(v, "a\0b", 3);
}

static void json__surrogate_pair__decodes_to_utf8(void **state)
{
	fixture *f = *state;
	json_value *v = parse(f, "\"\\uD83D\\uDE00 \\ud834\\udd1e\"");
	assert_str(v, "\xF0\x9F\x98\x80 \xF0\x9D\x84\x9E", 9);
	assert_false(v->flags & JSON_F_REPLACED);
}

static void json__lone_surrogate__replaced_and_flagged(void **state)
{
	fixture *f = *state;
	json_value *v = parse(f, "[\"x\", \"\\uD800\\u0041\", \"\\uDC00\"]");
	assert_non_null(v);
	assert_true(v->flags & JSON_F_REPLACED);
	assert_false(v->u.items[0].flags & JSON_F_REPLACED);
	assert_str(&v->u.items[1], "\xEF\xBF\xBD" "A", 4);
	assert_true(v->u.items[1].flags & JSON_F_REPLACED);
	assert_str(&v->u.items[2], "\xEF\xBF\xBD", 3);
	assert_fails(f, "[\"ok\", \"\\uD800\\u0041\"]", JSON_STRICT_UTF8, 8, "surrogate");
}

static void json__invalid_utf8__replaced_and_flagged(void **state)
{
	fixture *f = *state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"\"a\xC0\xAF" "b\"", "a\xEF\xBF\xBD\xEF\xBF\xBD" "b"},          /* overlong: two bad bytes */
		{"\"\xE0\x80\xAF\"", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},      /* overlong 3-byte */
		{"\"\xED\xA0\x80\"", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},      /* UTF-8 encoded surrogate */
		{"\"\xF4\x90\x80\x80\"", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* > U+10FFFF */
		{"\"\xE2\x82\"", "\xEF\xBF\xBD"},                                  /* truncated: one U+FFFD */
		{"\"\xF0\x9F\x98\"", "\xEF\xBF\xBD"},                              /* truncated 4-byte */
		{"\"\x80 \xFF\"", "\xEF\xBF\xBD \xEF\xBF\xBD"},                    /* stray bytes */
		{"\"\xE9t\xE9\"", "\xEF\xBF\xBDt\xEF\xBF\xBD"},                    /* ISO-8859-1 */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_value *v = parse(f, cases[i].in);
		assert_non_null(v);
		assert_str(v, cases[i].out, strlen(cases[i].out));
		assert_true(v->flags & JSON_F_REPLACED);
		assert_null(parse_opts(f, cases[i].in, JSON_STRICT_UTF8, 0));
		assert_non_null(strstr(f->err.msg, "UTF-8"));
	}
	/* repaired key: object and root flagged */
	json_value *v = parse(f, "{\"o\":{\"k\xFF\":1}}");
	assert_true(v->flags & JSON_F_REPLACED);
	assert_true(json_get(v, "o")->flags & JSON_F_REPLACED);
	assert_non_null(json_get(json_get(v, "o"), "k\xEF\xBF\xBD"));
	assert_fails(f, "[\"abc\xC3\"]", JSON_STRICT_UTF8, 5, "invalid UTF-8");
}

/* ------------------------------------------------------------ limits */

static void json__depth_limit__errors_past_max(void **state)
{
	fixture *f = *state;
	assert_non_null(parse_opts(f, "[[[1]]]", 0, 3));
	assert_null(parse_opts(f, "[[[[1]]]]", 0, 3));
	assert_int_equal(f->err.offset, 3);
	assert_non_null(strstr(f->err.msg, "nesting deeper than 3"));
	assert_non_null(parse_opts(f, "{\"a\":{\"b\":[]}}", 0, 3));
	assert_null(parse_opts(f, "{\"a\":{\"b\":[{}]}}", 0, 3));
	/* default 256; hostile nesting is an error, not a crash */
	size_t n = 1000000;
	char *deep = malloc(n + 1);
	assert_non_null(deep);
	memset(deep, '[', n);
	deep[n] = '\0';
	assert_fails(f, deep, 0, JSON_DEFAULT_MAX_DEPTH, "nesting deeper than 256");
	/* a deep but allowed document works through the frame stack's growth */
	size_t m = 200000;
	deep[m] = '\0';
	assert_null(parse_opts(f, deep, 0, (unsigned)m)); /* unterminated */
	assert_int_equal(f->err.offset, m);
	memset(deep + m / 2, ']', m / 2);
	json_value *v = parse_opts(f, deep, 0, (unsigned)m);
	assert_non_null(v);
	assert_int_equal(v->end, m);
	for (size_t i = 1; i < m / 2; i++) {
		assert_int_equal(v->type, JSON_ARRAY);
		assert_int_equal(v->len, 1);
		v = &v->u.items[0];
	}
	assert_int_equal(v->len, 0);
	assert_int_equal(v->start, m / 2 - 1);
	free(deep);
}

static void json__arena_cap__document_too_large(void **state)
{
	(void)state;
	arena *small = arena_new(1024, 4096);
	assert_non_null(small);
	buf big;
	buf_init(&big, 0);
	assert_int_equal(buf_putc(&big, '['), LT_OK);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(buf_puts(&big, i ? ",1" : "1"), LT_OK);
	assert_int_equal(buf_putc(&big, ']'), LT_OK);
	json_value *v = NULL;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(json_parse(small, big.data, big.len, NULL, &v, NULL, &err), LT_EITEM);
	assert_null(v);
	assert_string_equal(err.msg, "document too large");
	/* a small document fits the same arena after a reset */
	arena_reset(small);
	assert_int_equal(json_parse(small, "[1,2,3]", 7, NULL, &v, NULL, &err), LT_OK);
	assert_int_equal(v->len, 3);
	buf_free(&big);
	arena_free(small);
}

static void json__large_containers__children_contiguous(void **state)
{
	fixture *f = *state;
	buf t;
	buf_init(&t, 0);
	assert_int_equal(buf_puts(&t, "{\"arr\":["), LT_OK);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(buf_printf(&t, "%s{\"i\":%d,\"s\":\"v%d\"}", i ? "," : "", i, i), LT_OK);
	assert_int_equal(buf_puts(&t, "]"), LT_OK);
	for (int i = 0; i < 300; i++)
		assert_int_equal(buf_printf(&t, ",\"k%d\":[%d]", i, i), LT_OK);
	assert_int_equal(buf_puts(&t, "}"), LT_OK);
	json_value *v = parse(f, t.data);
	assert_non_null(v);
	assert_int_equal(v->len, 301);
	const json_value *arr = json_get(v, "arr");
	assert_int_equal(arr->len, 5000);
	for (size_t i = 0; i < 5000; i++) {
		int64_t n;
		assert_int_equal(json_to_int64(json_get(&arr->u.items[i], "i"), &n), LT_OK);
		assert_int_equal(n, (int64_t)i);
	}
	int64_t n;
	assert_int_equal(json_to_int64(&json_get(v, "k299")->u.items[0], &n), LT_OK);
	assert_int_equal(n, 299);
	buf_free(&t);
}

/* ------------------------------------------------------------ framing and errors */

static void json__trailing__consumed_and_error(void **state)
{
	fixture *f = *state;
	const char *t = "{\"a\":1}  \n{\"b\":2}\n";
	json_value *v = parse_opts(f, t, JSON_ALLOW_TRAILING, 0);
	assert_non_null(v);
	assert_int_equal(f->consumed, 10);
	assert_non_null(json_get(v, "a"));
	v = parse_opts(f, t + 10, JSON_ALLOW_TRAILING, 0);
	assert_non_null(json_get(v, "b"));
	assert_int_equal(f->consumed, 8);
	assert_fails(f, t, 0, 10, "expected end of input after the value");
	assert_non_null(parse_opts(f, "1 x", JSON_ALLOW_TRAILING, 0));
	assert_int_equal(f->consumed, 2);
}

static void json__errors__offset_and_expectation(void **state)
{
	fixture *f = *state;
	assert_fails(f, "{\"a\":1 \"b\":2}", 0, 7, "expected ',' or '}' after object member");
	assert_fails(f, "[1 2]", 0, 3, "expected ',' or ']' after array element");
	assert_fails(f, "[1,]", 0, 3, "expected a value");
	assert_fails(f, "{\"a\" 1}", 0, 5, "expected ':' after object key");
	assert_fails(f, "{,}", 0, 1, "expected '\"' to start an object key");
	assert_fails(f, "{\"a\":1,}", 0, 7, "expected '\"' to start an object key");
	assert_fails(f, "", 0, 0, "expected a value");
	assert_fails(f, "  ", 0, 2, "expected a value");
	assert_fails(f, "[\"abc", 0, 5, "unterminated string");
	assert_fails(f, "[\"a\tb\"]", 0, 3, "control character 0x09");
	assert_fails(f, "[\"a\\x\"]", 0, 3, "invalid escape");
	assert_fails(f, "[\"\\u12G4\"]", 0, 2, "4 hex digits");
	assert_fails(f, "[01]", 0, 2, "expected ',' or ']'");
	assert_fails(f, "[1.]", 0, 3, "digit after '.'");
	assert_fails(f, "[1e+]", 0, 4, "digit in exponent");
	assert_fails(f, "[-]", 0, 2, "digit");
	assert_fails(f, "[tru]", 0, 1, "true");
	assert_fails(f, "[nul]", 0, 1, "null");
	assert_fails(f, "[nul", 0, 4, "end of input");
	assert_fails(f, "\xEF\xBB\xBF{}", 0, 0, "byte order mark");
	assert_fails(f, "[\"a\\", 0, 4, "unterminated string");
	assert_non_null(parse_opts(f, "\xEF\xBB\xBF{}", JSON_ALLOW_BOM, 0));
	json_value *v = NULL;
	assert_int_equal(json_parse(f->a, "\xFF\xFE[\0]\0", 6, NULL, &v, NULL, &f->err), LT_EITEM);
	assert_non_null(strstr(f->err.msg, "UTF-16"));
	assert_int_equal(json_parse(f->a, "[\0\"\0]\0", 6, NULL, &v, NULL, &f->err), LT_EITEM); /* no BOM */
	assert_non_null(strstr(f->err.msg, "UTF-16"));
	/* a NUL byte is a NUL byte, not UTF-16 (issue 22 #15) */
	assert_int_equal(json_parse(f->a, "[\0]", 3, NULL, &v, NULL, &f->err), LT_EITEM);
	assert_string_equal(f->err.msg, "expected a value, found a NUL byte");
	assert_int_equal(f->err.offset, 1);
	assert_int_equal(json_parse(f->a, "\0{}", 3, NULL, &v, NULL, &f->err), LT_EITEM);
	assert_non_null(strstr(f->err.msg, "found a NUL byte"));
	assert_int_equal(json_parse(f->a, "{\"a\":1}\0", 8, NULL, &v, NULL, &f->err), LT_EITEM);
	assert_non_null(strstr(f->err.msg, "found a NUL byte"));
	/* err may be NULL */
	assert_int_equal(json_parse(f->a, "[", 1, NULL, &v, NULL, NULL), LT_EITEM);
}

/* Every proper prefix of a document fails exactly at its end, in both modes,
 * so a streaming caller can tell "needs more input" from "bad input". */
static void json__truncated_input__error_at_end(void **state)
{
	fixture *f = *state;
	const char doc[] = " {\"a\" : [\"x\\u00e9\\uD83D\\uDE00 \xE2\x82\xAC\\n\", true, false, null, -1.5e+3, {}],"
	                   " \"b\\\"\" : {\"c\":\"\xF0\x9F\x98\x80\"}} ";
	size_t n = sizeof doc - 1;
	assert_non_null(parse(f, doc));
	for (size_t len = 0; len < n - 1; len++) {
		for (int strict = 0; strict < 2; strict++) {
			json_options o = {strict ? JSON_STRICT_UTF8 : 0, 0};
			json_value *v = NULL;
			lt_error_clear(&f->err);
			arena_reset(f->a);
			if (json_parse(f->a, doc, len, &o, &v, NULL, &f->err) == LT_OK)
				fail_msg("prefix of %zu bytes parsed", len);
			if (f->err.offset != len)
				fail_msg("prefix of %zu bytes (strict %d): error at %llu: %s", len, strict,
				         (unsigned long long)f->err.offset, f->err.msg);
		}
	}
}

static void json__whitespace__accepted_everywhere(void **state)
{
	fixture *f = *state;
	json_value *v = parse(f, " \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n[ 1 , 2 ] \t\r\n, \"b\":\"\" } \t\r\n");
	assert_non_null(v);
	assert_int_equal(json_get(v, "a")->len, 2);
	assert_str(json_get(v, "b"), "", 0);
	assert_null(parse(f, "[1,\f2]"));
	assert_null(parse(f, "[1,\v2]"));
}

/* ------------------------------------------------------------ lookup */

static void json__duplicate_keys__last_wins(void **state)
{
	fixture *f = *state;
	json_value *v = parse(f, "{\"k\":1,\"x\":0,\"k\":2,\"k\\u0000\":3}");
	assert_non_null(v);
	assert_int_equal(v->len, 4);
	const json_value *k = json_get(v, "k");
	assert_memory_equal(k->u.s, "2", 1);
	const json_value *kn = json_getn(v, "k\0", 2);
	assert_non_null(kn);
	assert_memory_equal(kn->u.s, "3", 1);
	assert_null(json_get(v, "missing"));
	assert_null(json_get(json_get(v, "x"), "k")); /* not an object */
}

static void json__get_path__follows_objects_only(void **state)
{
	fixture *f = *state;
	json_value *v = parse(f, "{\"userIdentity\":{\"sessionContext\":{\"sessionIssuer\":{\"arn\":\"arn:aws:iam::1:role/r\"}}},"
	                         "\"resources\":[{\"ARN\":\"x\"}],\"a.b\":1}");
	assert_true(json_str_eq(json_get_path(v, "userIdentity.sessionContext.sessionIssuer.arn"), "arn:aws:iam::1:role/r"));
	assert_null(json_get_path(v, "userIdentity.sessionContext.nope"));
	assert_null(json_get_path(v, "resources.ARN"));
	assert_null(json_get_path(v, "a.b"));
	assert_non_null(json_get_path(v, "resources"));
	assert_false(json_str_eq(json_get_path(v, "resources"), "x"));
	assert_false(json_str_eq(NULL, "x"));
	assert_null(json_get_path(NULL, "a"));
}

static void json__str_eq__bytewise(void **state)
{
	fixture *f = *state;
	json_value *v = parse(f, "[\"abc\", \"ab\\u0063\", \"abcd\", 5]");
	assert_true(json_str_eq(&v->u.items[0], "abc"));
	assert_true(json_str_eq(&v->u.items[1], "abc"));
	assert_false(json_str_eq(&v->u.items[2], "abc"));
	assert_false(json_str_eq(&v->u.items[0], "ABC"));
	assert_false(json_str_eq(&v->u.items[3], "5"));
}

/* ------------------------------------------------------------ numbers */

static void json__to_int64__exact_or_error(void **state)
{
	fixture *f = *state;
	static const struct {
		const char *text;
		lt_status st;
		int64_t want;
	} cases[] = {
		{"0", LT_OK, 0}, {"-0", LT_OK, 0}, {"42", LT_OK, 42}, {"-17", LT_OK, -17},
		{"1e3", LT_OK, 1000}, {"1.5e1", LT_OK, 15}, {"1.0", LT_OK, 1}, {"100e-2", LT_OK, 1},
		{"0.0e5", LT_OK, 0}, {"0e999999999999", LT_OK, 0}, {"1.5", LT_EITEM, 0}, {"1e-1", LT_EITEM, 0},
		{"9223372036854775807", LT_OK, INT64_MAX}, {"-9223372036854775808", LT_OK, INT64_MIN},
		{"9223372036854775808", LT_EITEM, 0}, {"-9223372036854775809", LT_EITEM, 0},
		{"922337203685477580.7e1", LT_OK, INT64_MAX}, {"1e19", LT_EITEM, 0}, {"1E400", LT_EITEM, 0},
		{"123456789012345678901234567890", LT_EITEM, 0}, {"0.000000000000000000000001e24", LT_OK, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_value *v = parse(f, cases[i].text);
		assert_non_null(v);
		int64_t got = -99;
		lt_status st = json_to_int64(v, &got);
		if (st != cases[i].st)
			fail_msg("%s: status %d, want %d", cases[i].text, st, cases[i].st);
		if (st == LT_OK && got != cases[i].want)
			fail_msg("%s: got %lld", cases[i].text, (long long)got);
	}
	int64_t got;
	assert_int_equal(json_to_int64(parse(f, "\"1\""), &got), LT_EITEM);
	assert_int_equal(json_to_int64(NULL, &got), LT_EITEM);
}

static void json__to_double__strtod_bounded(void **state)
{
	fixture *f = *state;
	double d = 0;
	assert_int_equal(json_to_double(parse(f, "1.5"), &d), LT_OK);
	assert_true(d == 1.5);
	assert_int_equal(json_to_double(parse(f, "-2.5e-3"), &d), LT_OK);
	assert_true(d == -2.5e-3);
	assert_int_equal(json_to_double(parse(f, "[12,3]")->u.items, &d), LT_OK); /* no read past the number */
	assert_true(d == 12.0);
	assert_int_equal(json_to_double(parse(f, "1e400"), &d), LT_EITEM);
	assert_int_equal(json_to_double(parse(f, "-1e400"), &d), LT_EITEM);
	assert_int_equal(json_to_double(parse(f, "1e-400"), &d), LT_OK);
	assert_true(d == 0.0);
	char longnum[400];
	memset(longnum, '1', sizeof longnum - 1);
	longnum[sizeof longnum - 1] = '\0';
	longnum[1] = '.';
	assert_int_equal(json_to_double(parse(f, longnum), &d), LT_OK);
	assert_true(d > 1.11 && d < 1.12);
	assert_int_equal(json_to_double(parse(f, "true"), &d), LT_EITEM);
}

/* ------------------------------------------------------------ writer */

static void assert_written(const char *s, size_t n, const char *want)
{
	buf b;
	buf_init(&b, 0);
	assert_int_equal(json_write_string(&b, s, n), LT_OK);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	buf_free(&b);
}

static void json__write_string__escapes(void **state)
{
	(void)state;
	assert_written("", 0, "\"\"");
	assert_written("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	assert_written("\n\r\t\b\f\x01\x1f", 7, "\"\\n\\r\\t\\b\\f\\u0001\\u001f\"");
	assert_written("a\0b", 3, "\"a\\u0000b\"");
	assert_written("x\xE2\x80\xA8y\xE2\x80\xA9z", 9, "\"x\\u2028y\\u2029z\"");
	/* bidirectional controls are escaped so evidence cannot reorder what a terminal shows */
	assert_written("a\xE2\x80\xAE" "b\xE2\x81\xA6" "c\xE2\x80\x8F", 12, "\"a\\u202eb\\u2066c\\u200f\"");
	assert_written("caf\xC3\xA9 \xF0\x9F\x98\x80", 10, "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
	assert_written("a\xFF" "b\xC3", 4, "\"a\\ufffdb\\ufffd\"");
	assert_written("\xED\xA0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	assert_written("/ <\x7f>", 5, "\"/ <\x7f>\"");
	/* a cap is honoured */
	buf b;
	buf_init(&b, 4);
	assert_int_equal(json_write_string(&b, "abcdef", 6), LT_EITEM);
	buf_free(&b);
}

static void json__write__compact_round_trip(void **state)
{
	fixture *f = *state;
	const char *t = " { \"a\" : [ 1 , -2.5e3 , true , false , null ] , \"s\" : \"x\\n\\u00e9\\ud83d\\ude00\" ,"
	                " \"o\" : { } , \"e\" : [ ] , \"k\\\"\" : \"\\u2028\" } ";
	json_value *v = parse(f, t);
	buf b;
	buf_init(&b, 0);
	assert_int_equal(json_write(&b, v, 0), LT_OK);
	assert_string_equal(b.data, "{\"a\":[1,-2.5e3,true,false,null],\"s\":\"x\\n\xC3\xA9\xF0\x9F\x98\x80\","
	                            "\"o\":{},\"e\":[],\"k\\\"\":\"\\u2028\"}");
	json_value *w = parse(f, b.data);
	assert_non_null(w);
	assert_true(json_equal(v, w));
	buf_free(&b);
}

static void json__write__pretty(void **state)
{
	fixture *f = *state;
	json_value *v = parse(f, "{\"a\":[1,{\"b\":null}],\"c\":{},\"d\":[]}");
	buf b;
	buf_init(&b, 0);
	assert_int_equal(json_write(&b, v, 2), LT_OK);
	assert_string_equal(b.data, "{\n"
	                            "  \"a\": [\n"
	                            "    1,\n"
	                            "    {\n"
	                            "      \"b\": null\n"
	                            "    }\n"
	                            "  ],\n"
	                            "  \"c\": {},\n"
	                            "  \"d\": []\n"
	                            "}");
	json_value *w = parse(f, b.data);
	assert_true(json_equal(v, w));
	buf_reset(&b);
	assert_int_equal(json_write(&b, parse(f, "[\"x\"]"), 1), LT_OK);
	assert_string_equal(b.data, "[\n \"x\"\n]");
	buf_free(&b);
}

static void json__type_name__each(void **state)
{
	(void)state;
	assert_string_equal(json_type_name(JSON_NULL), "null");
	assert_string_equal(json_type_name(JSON_FALSE), "false");
	assert_string_equal(json_type_name(JSON_TRUE), "true");
	assert_string_equal(json_type_name(JSON_NUMBER), "number");
	assert_string_equal(json_type_name(JSON_STRING), "string");
	assert_string_equal(json_type_name(JSON_ARRAY), "array");
	assert_string_equal(json_type_name(JSON_OBJECT), "object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(json__scalars__parse_each_type, setup, teardown),
		cmocka_unit_test_setup_teardown(json__spans__exact_start_end, setup, teardown),
		cmocka_unit_test_setup_teardown(json__plain_string__points_into_input, setup, teardown),
		cmocka_unit_test_setup_teardown(json__escapes__decoded_into_arena, setup, teardown),
		cmocka_unit_test_setup_teardown(json__long_string__escape_after_plain_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(json__nul_escape__keeps_nul_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(json__surrogate_pair__decodes_to_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(json__lone_surrogate__replaced_and_flagged, setup, teardown),
		cmocka_unit_test_setup_teardown(json__invalid_utf8__replaced_and_flagged, setup, teardown),
		cmocka_unit_test_setup_teardown(json__depth_limit__errors_past_max, setup, teardown),
		cmocka_unit_test(json__arena_cap__document_too_large),
		cmocka_unit_test_setup_teardown(json__large_containers__children_contiguous, setup, teardown),
		cmocka_unit_test_setup_teardown(json__trailing__consumed_and_error, setup, teardown),
		cmocka_unit_test_setup_teardown(json__errors__offset_and_expectation, setup, teardown),
		cmocka_unit_test_setup_teardown(json__truncated_input__error_at_end, setup, teardown),
		cmocka_unit_test_setup_teardown(json__whitespace__accepted_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(json__duplicate_keys__last_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(json__get_path__follows_objects_only, setup, teardown),
		cmocka_unit_test_setup_teardown(json__str_eq__bytewise, setup, teardown),
		cmocka_unit_test_setup_teardown(json__to_int64__exact_or_error, setup, teardown),
		cmocka_unit_test_setup_teardown(json__to_double__strtod_bounded, setup, teardown),
		cmocka_unit_test(json__write_string__escapes),
		cmocka_unit_test_setup_teardown(json__write__compact_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(json__write__pretty, setup, teardown),
		cmocka_unit_test(json__type_name__each),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
