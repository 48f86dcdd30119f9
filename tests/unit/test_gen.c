/*
 * test_gen.c — unit tests of the corpus generator's building blocks
 * (testdata/gen/): PRNG determinism, civil-time formatting, JSON escaping,
 * identifiers, Luhn, prompt variety. The whole generator is tested end to end
 * by tests/e2e/gen_corpus.sh.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "testdata/gen/gen_text.h"
#include "testdata/gen/gen_util.h"

static void gen_rng__same_seed__same_sequence(void **state)
{
	(void)state;
	gen_rng a, b, c;
	gen_rng_seed(&a, 42, 7);
	gen_rng_seed(&b, 42, 7);
	gen_rng_seed(&c, 42, 8);
	int differs = 0;
	for (int i = 0; i < 100; i++) {
		uint64_t x = gen_rng_next(&a);
		assert_true(x == gen_rng_next(&b));
		differs |= x != gen_rng_next(&c);
	}
	assert_true(differs);
}

static void gen_rng__below__stays_in_range(void **state)
{
	(void)state;
	gen_rng r;
	gen_rng_seed(&r, 1, 1);
	int seen[7] = {0};
	for (int i = 0; i < 7000; i++) {
		uint32_t v = gen_rng_below(&r, 7);
		assert_true(v < 7);
		seen[v]++;
	}
	for (int i = 0; i < 7; i++)
		assert_true(seen[i] > 800 && seen[i] < 1200);
	assert_int_equal(gen_rng_below(&r, 0), 0);
}

static void gen_time__make_and_format__roundtrip(void **state)
{
	(void)state;
	char buf[32];
	int64_t t = gen_time_make(2026, 3, 9, 10, 15, 2);
	gen_time_iso(t, buf);
	assert_string_equal(buf, "2026-03-09T10:15:02Z");
	assert_int_equal(gen_time_weekday(t), 0); /* a Monday */
	assert_int_equal(gen_time_hour(t), 10);
	gen_time_iso(gen_time_make(2024, 2, 29, 23, 59, 59) + 1, buf);
	assert_string_equal(buf, "2024-03-01T00:00:00Z");
	gen_time_fmt(t, "%Y%m%dT%H%MZ", buf, sizeof buf);
	assert_string_equal(buf, "20260309T1015Z");
	gen_time_iso_ms(t, 7, buf);
	assert_string_equal(buf, "2026-03-09T10:15:02.007Z");
	assert_int_equal(gen_time_make(1970, 1, 1, 0, 0, 0), 0);
}

static void gen_sb__jstr__escapes_quotes_and_controls(void **state)
{
	(void)state;
	gen_sb b;
	gen_sb_init(&b);
	gen_sb_jstr(&b, "a\"b\\c\nd\x01\xc3\xa9");
	assert_string_equal(gen_sb_cstr(&b), "\"a\\\"b\\\\c\\nd\\u0001\xc3\xa9\"");
	gen_sb_reset(&b);
	gen_sb_u64(&b, 18446744073709551615ULL);
	assert_string_equal(gen_sb_cstr(&b), "18446744073709551615");
	gen_sb_free(&b);
}

static void gen_uuid__format__version4(void **state)
{
	(void)state;
	gen_rng r;
	gen_rng_seed(&r, 3, 3);
	char u[37];
	gen_uuid(&r, u);
	assert_int_equal(strlen(u), 36);
	assert_true(u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-');
	assert_true(u[14] == '4');
	assert_non_null(strchr("89ab", u[19]));
}

static void gen_luhn__cards__valid_and_invalid(void **state)
{
	(void)state;
	assert_true(gen_luhn_ok("4111111111111111"));
	assert_false(gen_luhn_ok("4111111111111112"));
	gen_rng r;
	gen_rng_seed(&r, 9, 9);
	for (int i = 0; i < 50; i++) {
		char card[20];
		gen_fake_card(&r, card);
		assert_int_equal(strlen(card), 16);
		assert_true(gen_luhn_ok(card));
	}
}

static void gen_text__benign__varied_and_deterministic(void **state)
{
	(void)state;
	enum { N = 200 };
	char *seen[N];
	gen_convo c;
	gen_convo_init(&c);
	gen_rng r, r2;
	gen_rng_seed(&r, 5, 5);
	size_t distinct = 0;
	for (int i = 0; i < N; i++) {
		gen_text_benign(&r, GEN_APP_PLAYGROUND, &c);
		assert_true(c.user.len > 10 && c.answer.len > 10);
		seen[i] = strdup(gen_sb_cstr(&c.user));
		int dup = 0;
		for (int j = 0; j < i && !dup; j++)
			dup = strcmp(seen[j], seen[i]) == 0;
		distinct += !dup;
	}
	assert_true(distinct > N / 2);
	gen_rng_seed(&r2, 5, 5);
	gen_text_benign(&r2, GEN_APP_PLAYGROUND, &c);
	assert_string_equal(gen_sb_cstr(&c.user), seen[0]);
	for (int i = 0; i < N; i++)
		free(seen[i]);
	gen_convo_free(&c);
}

static void gen_text__secret_leak__secret_in_answer(void **state)
{
	(void)state;
	gen_convo c;
	gen_convo_init(&c);
	gen_rng r;
	gen_rng_seed(&r, 11, 11);
	for (int v = 0; v < GEN_LEAK_COUNT; v++) {
		char secret[128];
		gen_text_secret_leak(&r, v, &c, secret, sizeof secret);
		assert_non_null(strstr(gen_sb_cstr(&c.answer), secret));
	}
	gen_convo_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gen_rng__same_seed__same_sequence),
		cmocka_unit_test(gen_rng__below__stays_in_range),
		cmocka_unit_test(gen_time__make_and_format__roundtrip),
		cmocka_unit_test(gen_sb__jstr__escapes_quotes_and_controls),
		cmocka_unit_test(gen_uuid__format__version4),
		cmocka_unit_test(gen_luhn__cards__valid_and_invalid),
		cmocka_unit_test(gen_text__benign__varied_and_deterministic),
		cmocka_unit_test(gen_text__secret_leak__secret_in_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
