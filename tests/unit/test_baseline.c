/*
 * test_baseline.c — per-entity baselines (analyzers/baseline.c): hours and
 * values judged by distinct days with the judged day left out, warm-up,
 * bursts that do not make themselves usual, hour of week once there are
 * weeks, and the bounds (entities past the cap are unknown, not wrong).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "analyzers/audit/baseline.h"

#define HOUR_US (3600LL * 1000000LL)
#define DAY_US (24 * HOUR_US)
#define MONDAY (1714953600LL * 1000000LL) /* 2024-05-06 00:00 UTC, a Monday */

static void observe(baseline *b, const char *who, const char *key, const char *ip, const char *ua, int64_t t)
{
	rpt_event_in ev;
	rpt_event_init(&ev);
	ev.time_us = t;
	ev.principal = rpt_s(who);
	ev.access_key = rpt_s(key);
	ev.source_ip = rpt_s(ip);
	ev.user_agent = rpt_s(ua);
	ev.model = rpt_s("anthropic.claude-3-haiku");
	ev.region = rpt_s("us-east-1");
	ev.action = rpt_s("InvokeModel");
	baseline_observe(b, &ev);
}

/* An office principal: weekdays 09:00-17:00 from one IP, 20 calls an hour. */
static void office_weeks(baseline *b, int weeks)
{
	for (int d = 0; d < 7 * weeks; d++) {
		if (d % 7 >= 5)
			continue;
		for (int h = 9; h < 17; h++)
			for (int k = 0; k < 20; k++)
				observe(b, "arn:aws:iam::1:user/alice", "AKIAALICE", "198.51.100.7", "boto3/1.34",
				        MONDAY + d * DAY_US + h * HOUR_US + k * 60 * 1000000LL);
	}
}

static void baseline__office_hours__usual_by_day_unusual_at_night(void **s)
{
	(void)s;
	baseline *b = baseline_new();
	assert_non_null(b);
	office_weeks(b, 1); /* 5 days: 4 others, past the warm-up of 3 */
	rpt_str alice = rpt_s("arn:aws:iam::1:user/alice");
	assert_int_equal(baseline_hour(b, BASELINE_PRINCIPAL, alice, MONDAY + 2 * DAY_US + 10 * HOUR_US),
	                 BASELINE_FREQUENT);
	/* 03:00 on Thursday, never learned: no other day had it */
	assert_int_equal(baseline_hour(b, BASELINE_PRINCIPAL, alice, MONDAY + 3 * DAY_US + 3 * HOUR_US),
	                 BASELINE_UNSEEN);
	assert_int_equal(baseline_value(b, BASELINE_PRINCIPAL, alice, BASELINE_SOURCE_IP, rpt_s("198.51.100.7")),
	                 BASELINE_FREQUENT);
	assert_int_equal(baseline_value(b, BASELINE_PRINCIPAL, alice, BASELINE_SOURCE_IP, rpt_s("203.0.113.47")),
	                 BASELINE_UNSEEN);
	assert_int_equal(baseline_value(b, BASELINE_ACCESS_KEY, rpt_s("AKIAALICE"), BASELINE_USER_AGENT,
	                                rpt_s("boto3/1.34")),
	                 BASELINE_FREQUENT);
	assert_true(baseline_unusual(BASELINE_UNSEEN) && baseline_unusual(BASELINE_RARE));
	assert_false(baseline_unusual(BASELINE_UNKNOWN) || baseline_unusual(BASELINE_INFREQUENT));
	assert_string_equal(baseline_rarity_name(BASELINE_RARE), "rare");
	baseline_free(b);
}

/* A burst of 5,000 calls one night from a new IP is learned, and is still
 * unseen on every other day: counts are of days, the judged day left out. */
static void baseline__night_burst__does_not_make_itself_usual(void **s)
{
	(void)s;
	baseline *b = baseline_new();
	office_weeks(b, 1);
	int64_t night = MONDAY + 3 * DAY_US + 2 * HOUR_US;
	for (int k = 0; k < 5000; k++)
		observe(b, "arn:aws:iam::1:user/alice", "AKIAALICE", "203.0.113.47", "python-requests/2.31",
		        night + k * 1000000LL);
	rpt_str alice = rpt_s("arn:aws:iam::1:user/alice");
	assert_int_equal(baseline_hour(b, BASELINE_PRINCIPAL, alice, night + 30 * 60 * 1000000LL), BASELINE_UNSEEN);
	assert_int_equal(baseline_value(b, BASELINE_PRINCIPAL, alice, BASELINE_SOURCE_IP, rpt_s("203.0.113.47")),
	                 BASELINE_UNSEEN);
	assert_int_equal(baseline_value(b, BASELINE_ACCESS_KEY, rpt_s("AKIAALICE"), BASELINE_USER_AGENT,
	                                rpt_s("python-requests/2.31")),
	                 BASELINE_UNSEEN);
	/* its office hours stay what they were */
	assert_int_equal(baseline_hour(b, BASELINE_PRINCIPAL, alice, MONDAY + 10 * HOUR_US), BASELINE_FREQUENT);
	baseline_free(b);
}

/* Too short a history says nothing: unknown, not unseen. */
static void baseline__short_history__unknown(void **s)
{
	(void)s;
	baseline *b = baseline_new();
	for (int d = 0; d < 3; d++) /* 3 days: 2 others, below the warm-up */
		observe(b, "p", "", "10.0.0.1", "ua", MONDAY + d * DAY_US + 10 * HOUR_US);
	assert_int_equal(baseline_hour(b, BASELINE_PRINCIPAL, rpt_s("p"), MONDAY + 3 * HOUR_US), BASELINE_UNKNOWN);
	assert_int_equal(baseline_value(b, BASELINE_PRINCIPAL, rpt_s("p"), BASELINE_SOURCE_IP, rpt_s("10.9.9.9")),
	                 BASELINE_UNKNOWN);
	assert_int_equal(baseline_hour(b, BASELINE_PRINCIPAL, rpt_s("nobody"), MONDAY), BASELINE_UNKNOWN);
	assert_int_equal(baseline_hour(b, BASELINE_ACCESS_KEY, rpt_s(""), MONDAY), BASELINE_UNKNOWN);
	baseline_free(b);
}

/* Classes by share of the other days: 1 of 20 is rare, 3 of 20 infrequent. */
static void baseline__shares__rare_and_infrequent(void **s)
{
	(void)s;
	baseline *b = baseline_new();
	for (int d = 0; d < 21; d++) {
		observe(b, "p", "", "10.0.0.1", "ua", MONDAY + d * DAY_US + 10 * HOUR_US);
		if (d == 4 || d == 20)
			observe(b, "p", "", "10.0.0.2", "ua", MONDAY + d * DAY_US + 11 * HOUR_US);
		if (d % 7 == 0 || d == 20)
			observe(b, "p", "", "10.0.0.3", "ua", MONDAY + d * DAY_US + 12 * HOUR_US);
	}
	rpt_str p = rpt_s("p");
	/* judged on day 20, where each was also seen: 1 and 3 other days of 20 */
	assert_int_equal(baseline_value(b, BASELINE_PRINCIPAL, p, BASELINE_SOURCE_IP, rpt_s("10.0.0.2")), BASELINE_RARE);
	assert_int_equal(baseline_value(b, BASELINE_PRINCIPAL, p, BASELINE_SOURCE_IP, rpt_s("10.0.0.3")),
	                 BASELINE_INFREQUENT);
	/* three weeks: hour of week; Monday 10:00 on 2 other weeks of 2 */
	assert_int_equal(baseline_hour(b, BASELINE_PRINCIPAL, p, MONDAY + 14 * DAY_US + 10 * HOUR_US), BASELINE_FREQUENT);
	baseline_free(b);
}

/* Past BASELINE_MAX_ENTITIES an entity is not learned: judged unknown, counted. */
static void baseline__entity_cap__unknown_and_counted(void **s)
{
	(void)s;
	baseline *b = baseline_new();
	char who[32];
	for (unsigned i = 0; i < BASELINE_MAX_ENTITIES + 10; i++) {
		snprintf(who, sizeof who, "p%u", i);
		observe(b, who, "", "", "", MONDAY);
	}
	baseline_stats st;
	baseline_get_stats(b, &st);
	assert_int_equal(st.entities, BASELINE_MAX_ENTITIES);
	assert_int_equal(st.untracked, 10);
	snprintf(who, sizeof who, "p%u", BASELINE_MAX_ENTITIES + 5);
	assert_int_equal(baseline_hour(b, BASELINE_PRINCIPAL, rpt_s(who), MONDAY), BASELINE_UNKNOWN);
	baseline_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(baseline__office_hours__usual_by_day_unusual_at_night),
	    cmocka_unit_test(baseline__night_burst__does_not_make_itself_usual),
	    cmocka_unit_test(baseline__short_history__unknown),
	    cmocka_unit_test(baseline__shares__rare_and_infrequent),
	    cmocka_unit_test(baseline__entity_cap__unknown_and_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
