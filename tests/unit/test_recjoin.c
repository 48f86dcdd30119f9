/*
 * test_recjoin.c — the streaming reconciliation join (analyzers/audit/
 * recjoin.c): strong matches out of order within the horizon, duplicate
 * request ids, weak matches (nearest first, greedy in call order, model and
 * principal tests, never a record a later request id claims), eviction past
 * the horizon (counted as late), the cap on held items, the order of what it
 * hands back. Items are fed directly (no case): the join sees only items.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "analyzers/audit/recjoin.h"

#define S_US 1000000LL
#define HORIZON (60 * S_US)
#define WEAK (5 * S_US)

static const char P1[] = "arn:aws:iam::1:user/a", P2[] = "arn:aws:iam::1:user/b", ACCT[] = "1", REG[] = "us-east-1";
static const char M1[] = "anthropic.claude", M1ARN[] = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude",
		  M2[] = "meta.llama";

typedef struct got {
	int64_t id;
	int match;
	bool call;
} got;

typedef struct sink {
	got v[64];
	size_t n;
} sink;

static lt_status on_emit(void *ctx, const recjoin_item *it, int match, lt_error *err)
{
	(void)err;
	sink *s = ctx;
	assert_true(s->n < 64);
	assert_null(it->key);
	s->v[s->n++] = (got){it->id, match, it->is_call};
	return LT_OK;
}

/* Adds one item: id, call?, time in seconds (tenths allowed via us), key (NULL none). */
static void add(recjoin *j, int64_t id, bool call, int64_t t_us, const char *key, const char *principal,
                const char *model)
{
	recjoin_item it = {
		.id = id,
		.time_us = t_us,
		.member_id = 1,
		.offset = id,
		.principal = principal,
		.account = ACCT,
		.region = REG,
		.model = model,
		.key = key,
		.key_len = key ? strlen(key) : 0,
		.is_call = call,
	};
	lt_error err;
	assert_int_equal(recjoin_add(j, &it, &err), LT_OK);
}

static int match_of(const sink *s, int64_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].id == id)
			return s->v[i].match;
	fail_msg("item %lld was not handed back", (long long)id);
	return -1;
}

static void finish(recjoin *j, sink *s, size_t expect)
{
	lt_error err;
	assert_int_equal(recjoin_finish(j, &err), LT_OK);
	assert_int_equal(s->n, expect);
}

static void recjoin__record_before_call_within_horizon__matched(void **state)
{
	(void)state;
	sink s = {0};
	recjoin *j = recjoin_new(HORIZON, WEAK, 1000, on_emit, &s);
	assert_non_null(j);
	add(j, 1, false, 0, "req-a", P1, M1);         /* the record first */
	add(j, 2, true, 50 * S_US, "req-a", P1, M1);  /* its call 50 s later: inside the 60 s horizon */
	add(j, 3, true, 55 * S_US, "req-b", P1, M1);  /* a call ... */
	add(j, 4, false, 56 * S_US, "req-b", P1, M1); /* ... and its record */
	finish(j, &s, 4);
	for (int64_t id = 1; id <= 4; id++)
		assert_int_equal(match_of(&s, id), RECJOIN_BY_REQUEST);
	assert_int_equal(recjoin_get_stats(j)->max_request_gap_us, 50 * S_US);
	assert_int_equal(recjoin_get_stats(j)->late, 0);
	recjoin_free(j);
}

static void recjoin__duplicate_request_ids__all_copies_matched(void **state)
{
	(void)state;
	sink s = {0};
	recjoin *j = recjoin_new(HORIZON, WEAK, 1000, on_emit, &s);
	assert_non_null(j);
	add(j, 1, true, 0, "dup", P1, M1);       /* two calls with one id */
	add(j, 2, true, 1 * S_US, "dup", P1, M1);
	add(j, 3, false, 2 * S_US, "dup", P1, M1); /* one record: all three match */
	add(j, 4, false, 3 * S_US, "dup", P1, M1); /* a second record of the id too */
	add(j, 5, false, 4 * S_US, "lone", P2, M2); /* two records, no call: neither matches */
	add(j, 6, false, 5 * S_US, "lone", P2, M2);
	finish(j, &s, 6);
	for (int64_t id = 1; id <= 4; id++)
		assert_int_equal(match_of(&s, id), RECJOIN_BY_REQUEST);
	assert_int_equal(match_of(&s, 5), RECJOIN_UNMATCHED);
	assert_int_equal(match_of(&s, 6), RECJOIN_UNMATCHED);
	recjoin_free(j);
}

static void recjoin__weak__nearest_first_greedy_by_call(void **state)
{
	(void)state;
	sink s = {0};
	recjoin *j = recjoin_new(HORIZON, WEAK, 1000, on_emit, &s);
	assert_non_null(j);
	int64_t t = 1000 * S_US;
	add(j, 1, false, t - 3 * S_US, "r1", P1, M1);  /* 3 s before the first call */
	add(j, 2, true, t, "c1", P1, M1ARN);           /* ARN of M1: compatible; takes record 3 (1 s after) */
	add(j, 3, false, t + 1 * S_US, "r3", P1, M1);
	add(j, 4, true, t + 2 * S_US, "c4", P1, M1);   /* record 3 is taken: takes record 1 (5 s before) */
	add(j, 5, true, t + 3 * S_US, "c5", P2, M1);   /* another principal: nothing of its own */
	add(j, 6, false, t + 4 * S_US, "r6", P1, M2);  /* incompatible model for call 7 */
	add(j, 7, true, t + 4 * S_US, "c7", P1, M1);
	finish(j, &s, 7);
	assert_int_equal(match_of(&s, 2), RECJOIN_WEAK);
	assert_int_equal(match_of(&s, 3), RECJOIN_WEAK);
	assert_int_equal(match_of(&s, 4), RECJOIN_WEAK);
	assert_int_equal(match_of(&s, 1), RECJOIN_WEAK);
	assert_int_equal(match_of(&s, 5), RECJOIN_UNMATCHED);
	assert_int_equal(match_of(&s, 6), RECJOIN_UNMATCHED);
	assert_int_equal(match_of(&s, 7), RECJOIN_UNMATCHED);
	recjoin_free(j);
}

static void recjoin__weak__never_takes_a_record_a_later_call_claims(void **state)
{
	(void)state;
	sink s = {0};
	recjoin *j = recjoin_new(HORIZON, WEAK, 1000, on_emit, &s);
	assert_non_null(j);
	add(j, 1, true, 0, NULL, P1, M1);             /* no request id: could take record 2 weakly ... */
	add(j, 2, false, 1 * S_US, "k", P1, M1);      /* ... but its call comes 40 s later */
	add(j, 3, true, 41 * S_US, "k", P1, M1);
	add(j, 4, false, 300 * S_US, "other", P2, M2); /* moves time on: everything above is judged */
	assert_int_equal(s.n, 3);
	finish(j, &s, 4);
	assert_int_equal(match_of(&s, 1), RECJOIN_UNMATCHED);
	assert_int_equal(match_of(&s, 2), RECJOIN_BY_REQUEST);
	assert_int_equal(match_of(&s, 3), RECJOIN_BY_REQUEST);
	recjoin_free(j);
}

static void recjoin__past_horizon__evicted_unmatched_and_counted_late(void **state)
{
	(void)state;
	sink s = {0};
	recjoin *j = recjoin_new(HORIZON, WEAK, 1000, on_emit, &s);
	assert_non_null(j);
	add(j, 1, true, 0, "late", P1, M1);
	add(j, 2, false, 200 * S_US, "late", P1, M1); /* 200 s > 60 s: the call has gone unmatched */
	assert_int_equal(s.n, 1);                      /* the call left before the record came */
	assert_int_equal(s.v[0].id, 1);
	finish(j, &s, 2);
	assert_int_equal(match_of(&s, 1), RECJOIN_UNMATCHED);
	assert_int_equal(match_of(&s, 2), RECJOIN_UNMATCHED);
	assert_int_equal(recjoin_get_stats(j)->late, 1);
	assert_int_equal(recjoin_get_stats(j)->forced, 0);
	recjoin_free(j);
}

static void recjoin__held_items__bounded_by_horizon_and_cap(void **state)
{
	(void)state;
	sink s = {0};
	recjoin *j = recjoin_new(HORIZON, WEAK, 1000, on_emit, &s);
	assert_non_null(j);
	for (int64_t i = 0; i < 40; i++) /* one record every 10 s: 60 + 10 s hold about 8 */
		add(j, i + 1, false, i * 10 * S_US, NULL, P1, M1);
	finish(j, &s, 40);
	assert_true(recjoin_get_stats(j)->peak_pending <= 9);
	assert_int_equal(recjoin_get_stats(j)->forced, 0);
	recjoin_free(j);

	sink s2 = {0};
	j = recjoin_new(HORIZON, WEAK, 3, on_emit, &s2);
	assert_non_null(j);
	add(j, 1, true, 0, "x", P1, M1);
	add(j, 2, true, 1, "y", P1, M1);
	add(j, 3, true, 2, "z", P1, M1);
	add(j, 4, true, 3, "w", P1, M1); /* the fourth held item: call 1 must go first, unmatched */
	assert_int_equal(s2.n, 1);
	assert_int_equal(s2.v[0].id, 1);
	add(j, 5, false, 4, "x", P2, M1); /* call 1's record, after it was let go: late */
	assert_int_equal(s2.n, 2);
	finish(j, &s2, 5);
	assert_int_equal(match_of(&s2, 1), RECJOIN_UNMATCHED);
	assert_int_equal(match_of(&s2, 5), RECJOIN_UNMATCHED);
	assert_int_equal(recjoin_get_stats(j)->forced, 2);
	assert_int_equal(recjoin_get_stats(j)->late, 1);
	recjoin_free(j);
}

static void recjoin__emit_order__time_then_member_offset(void **state)
{
	(void)state;
	sink s = {0};
	recjoin *j = recjoin_new(HORIZON, WEAK, 1000, on_emit, &s);
	assert_non_null(j);
	recjoin_item it = {.time_us = 0, .principal = P1, .account = ACCT, .region = REG, .model = M1,
	                   .is_call = true, .member_id = 2};
	lt_error err;
	for (int64_t k = 0; k < 3; k++) { /* replay order (uid) differs from (member, offset) order */
		it.id = k + 1;
		it.offset = 30 - k * 10;
		assert_int_equal(recjoin_add(j, &it, &err), LT_OK);
	}
	finish(j, &s, 3);
	assert_int_equal(s.v[0].id, 3);
	assert_int_equal(s.v[1].id, 2);
	assert_int_equal(s.v[2].id, 1);
	recjoin_free(j);
}

static void recjoin__models_compatible(void **state)
{
	(void)state;
	assert_true(recjoin_models_compatible(M1, M1ARN));
	assert_true(recjoin_models_compatible(M1ARN, M1));
	assert_true(recjoin_models_compatible("", M2));
	assert_true(recjoin_models_compatible(NULL, M2));
	assert_false(recjoin_models_compatible(M1, M2));
	assert_false(recjoin_models_compatible("xanthropic.claude", M1)); /* a suffix, but not after '/' */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recjoin__record_before_call_within_horizon__matched),
		cmocka_unit_test(recjoin__duplicate_request_ids__all_copies_matched),
		cmocka_unit_test(recjoin__weak__nearest_first_greedy_by_call),
		cmocka_unit_test(recjoin__weak__never_takes_a_record_a_later_call_claims),
		cmocka_unit_test(recjoin__past_horizon__evicted_unmatched_and_counted_late),
		cmocka_unit_test(recjoin__held_items__bounded_by_horizon_and_cap),
		cmocka_unit_test(recjoin__emit_order__time_then_member_offset),
		cmocka_unit_test(recjoin__models_compatible),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
