/*
 * test_hitlog.c — the (event seq, rule) log behind timeline.csv's rules
 * column (model/hitlog.c): spilled runs merged back in seq order, repeats
 * dropped, limits and read-back failures reported.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "model/hitlog.h"

#define NSEQ 500
#define NRULE 40

/* A deterministic pseudo-random sequence (xorshift). */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Pairs added in a scrambled order with many repeats, through runs of 16
 * pairs (dozens of spills), read back for every seq: exactly the distinct
 * rules of each, ascending. */
static void hitlog__spilled_runs__merged_in_seq_order(void **state)
{
	(void)state;
	static unsigned char want[NSEQ + 1][NRULE];
	memset(want, 0, sizeof want);
	hitlog *h = hitlog_new(16);
	assert_non_null(h);
	uint64_t s = 88172645463325252ull;
	for (int i = 0; i < 6000; i++) {
		uint64_t seq = 1 + next_rand(&s) % NSEQ;
		uint32_t rule = (uint32_t)(next_rand(&s) % NRULE);
		want[seq][rule] = 1;
		assert_int_equal(hitlog_add(h, seq, rule, NULL), LT_OK);
	}
	assert_true(hitlog_runs(h) > 10);
	assert_int_equal(hitlog_rewind(h, NULL), LT_OK);
	for (uint64_t seq = 1; seq <= NSEQ; seq++) {
		uint32_t got[NRULE];
		size_t n = hitlog_rules(h, seq, got, NRULE);
		size_t k = 0;
		for (uint32_t r = 0; r < NRULE; r++)
			if (want[seq][r]) {
				assert_true(k < n);
				assert_int_equal(got[k], r);
				k++;
			}
		assert_int_equal(n, k);
	}
	assert_int_equal(hitlog_rules(h, NSEQ + 1, NULL, 0), 0);
	assert_false(hitlog_failed(h, NULL));
	hitlog_free(h);
}

/* Rows with no hits, rows skipped over, more rules than the caller's room
 * (the count still says how many), nothing added at all. */
static void hitlog__sparse_rows__counts_and_skips(void **state)
{
	(void)state;
	hitlog *h = hitlog_new(0);
	assert_non_null(h);
	for (uint32_t r = 0; r < 10; r++)
		assert_int_equal(hitlog_add(h, 5, 9 - r, NULL), LT_OK);
	assert_int_equal(hitlog_add(h, 3, 1, NULL), LT_OK);
	assert_int_equal(hitlog_add(h, 8, 2, NULL), LT_OK);
	assert_int_equal(hitlog_rewind(h, NULL), LT_OK);
	uint32_t got[4];
	assert_int_equal(hitlog_rules(h, 1, got, 4), 0);
	assert_int_equal(hitlog_rules(h, 5, got, 4), 10); /* seq 3 was never asked: skipped */
	assert_int_equal(got[0], 0);
	assert_int_equal(got[3], 3);
	assert_int_equal(hitlog_rules(h, 8, got, 4), 1);
	assert_int_equal(got[0], 2);
	hitlog_free(h);

	h = hitlog_new(0);
	assert_non_null(h);
	assert_int_equal(hitlog_rewind(h, NULL), LT_OK);
	assert_int_equal(hitlog_rules(h, 1, got, 4), 0);
	hitlog_free(h);
	hitlog_free(NULL);
}

static void hitlog__limits__refused_with_reason(void **state)
{
	(void)state;
	hitlog *h = hitlog_new(0);
	assert_non_null(h);
	lt_error err;
	assert_int_equal(hitlog_add(h, HITLOG_SEQ_MAX + 1, 1, &err), LT_EITEM);
	assert_non_null(strstr(err.msg, "out of range"));
	assert_int_equal(hitlog_add(h, 1, HITLOG_RULE_MAX + 1, &err), LT_EITEM);
	assert_int_equal(hitlog_add(h, HITLOG_SEQ_MAX, HITLOG_RULE_MAX, &err), LT_OK);
	assert_int_equal(hitlog_rewind(h, &err), LT_OK);
	assert_int_equal(hitlog_add(h, 2, 1, &err), LT_EFATAL); /* reading has begun */
	assert_non_null(strstr(err.msg, "after rewind"));
	uint32_t got[1];
	assert_int_equal(hitlog_rules(h, HITLOG_SEQ_MAX, got, 1), 1);
	assert_int_equal(got[0], HITLOG_RULE_MAX);
	hitlog_free(h);
}

/* A spill that cannot create its file fails with the folder named; the
 * pairs already held are not lost to a crash. */
static void hitlog__unwritable_tmpdir__fails_naming_it(void **state)
{
	(void)state;
	const char *old = getenv("TMPDIR");
	char *saved = old ? strdup(old) : NULL;
	setenv("TMPDIR", "/nonexistent/llmtrail-test", 1);
	hitlog *h = hitlog_new(2);
	assert_non_null(h);
	lt_error err;
	assert_int_equal(hitlog_add(h, 1, 1, &err), LT_OK);
	assert_int_equal(hitlog_add(h, 2, 1, &err), LT_OK);
	assert_int_equal(hitlog_add(h, 3, 1, &err), LT_EFATAL);
	assert_non_null(strstr(err.msg, "/nonexistent/llmtrail-test"));
	hitlog_free(h);
	if (saved) {
		setenv("TMPDIR", saved, 1);
		free(saved);
	} else {
		unsetenv("TMPDIR");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hitlog__spilled_runs__merged_in_seq_order),
		cmocka_unit_test(hitlog__sparse_rows__counts_and_skips),
		cmocka_unit_test(hitlog__limits__refused_with_reason),
		cmocka_unit_test(hitlog__unwritable_tmpdir__fails_naming_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
