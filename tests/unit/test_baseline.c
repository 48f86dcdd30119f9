/*
 * test_baseline.c — per-entity baselines (analyzers/baseline.c): hours and
 * values judged by distinct days with the judged day left out, warm-up,
 * bursts that do not make themselves usual, hour of week once there are
 * weeks, the bounds (entities past their kind's cap are unknown, not wrong;
 * a flood of every kind stays within the caps), the normalised kinds (IP
 * prefix, user-agent family, session issuer) and what each kind learns.
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

/* Past its kind's cap an entity is not learned: judged unknown, counted. */
static void baseline__entity_cap__unknown_and_counted(void **s)
{
	(void)s;
	baseline *b = baseline_new();
	char who[32];
	unsigned cap = (unsigned)baseline_kind_cap(BASELINE_PRINCIPAL);
	for (unsigned i = 0; i < cap + 10; i++) {
		snprintf(who, sizeof who, "p%u", i);
		observe(b, who, "", "", "", MONDAY);
	}
	baseline_stats st;
	baseline_get_stats(b, &st);
	assert_int_equal(st.by_kind[BASELINE_PRINCIPAL], cap);
	assert_int_equal(st.untracked, 10);
	snprintf(who, sizeof who, "p%u", cap + 5);
	assert_int_equal(baseline_hour(b, BASELINE_PRINCIPAL, rpt_s(who), MONDAY), BASELINE_UNKNOWN);
	/* absence proves nothing once the cap turned one away */
	assert_int_equal(baseline_entity(b, BASELINE_PRINCIPAL, rpt_s("never-seen"), MONDAY), BASELINE_UNKNOWN);
	baseline_free(b);
}

/* The bound holds whatever the evidence: 100,000 events each with a new
 * principal, key, account, IP (in new /24s), user agent family, model,
 * region and API fill every kind to its cap and no further, the caps add up
 * to BASELINE_MAX_ENTITIES, the table keeps half its slots free, and the
 * stated memory is what the constants say. A principal learned before the
 * flood is still judged. */
static void baseline__flood_of_every_kind__stays_within_caps(void **s)
{
	(void)s;
	baseline *b = baseline_new();
	for (int d = 0; d < 5; d++)
		observe(b, "arn:aws:iam::1:user/alice", "AKIAALICE", "198.51.100.7", "boto3/1.34",
		        MONDAY + d * DAY_US + 10 * HOUR_US);
	char who[48], key[32], ip[32], ua[48], acct[16], model[32], region[16], api[32];
	for (unsigned i = 0; i < 100000; i++) {
		snprintf(who, sizeof who, "arn:aws:sts::1:assumed-role/r%u/s%u", i, i);
		snprintf(key, sizeof key, "ASIA%016u", i);
		snprintf(ip, sizeof ip, "%u.%u.%u.1", 10 + (i >> 16), (i >> 8) & 255, i & 255); /* a /24 each */
		snprintf(ua, sizeof ua, "tool%u/1.0 os/linux", i);
		snprintf(acct, sizeof acct, "%012u", i);
		snprintf(model, sizeof model, "m%u", i);
		snprintf(region, sizeof region, "r-%u", i);
		snprintf(api, sizeof api, "Op%u", i);
		rpt_event_in ev;
		rpt_event_init(&ev);
		ev.time_us = MONDAY + 5 * DAY_US + (int64_t)i * 1000000LL;
		ev.principal = rpt_s(who);
		ev.access_key = rpt_s(key);
		ev.account = rpt_s(acct);
		ev.source_ip = rpt_s(ip);
		ev.user_agent = rpt_s(ua);
		ev.model = rpt_s(model);
		ev.region = rpt_s(region);
		ev.action = rpt_s(api);
		baseline_observe(b, &ev);
	}
	baseline_stats st;
	baseline_get_stats(b, &st);
	size_t sum = 0;
	for (int k = 0; k < BASELINE_NKINDS; k++) {
		assert_true(st.by_kind[k] <= baseline_kind_cap((baseline_kind)k));
		assert_int_equal(st.by_kind[k], baseline_kind_cap((baseline_kind)k)); /* full, not more */
		sum += baseline_kind_cap((baseline_kind)k);
	}
	assert_int_equal(sum, BASELINE_MAX_ENTITIES);
	assert_int_equal(st.entities, BASELINE_MAX_ENTITIES);
	assert_true(2 * (size_t)BASELINE_MAX_ENTITIES <= BASELINE_ENT_SLOTS);
	assert_true(baseline_memory_bytes() < (size_t)56 << 20);
	assert_true(st.untracked > 0);
	assert_int_equal(baseline_hour(b, BASELINE_PRINCIPAL, rpt_s("arn:aws:iam::1:user/alice"), MONDAY + 10 * HOUR_US),
	                 BASELINE_FREQUENT);
	baseline_free(b);
}

/* Normalised values: a /24 or /48 network, a client family without its
 * version, the role behind a session. */
static void baseline__normalise__prefix_family_issuer(void **s)
{
	(void)s;
	char out[BASELINE_TEXT_MAX];
	struct {
		baseline_kind kind;
		const char *raw, *want;
	} cases[] = {
	    {BASELINE_PREFIX_ENTITY, "198.51.100.23", "198.51.100.0/24"},
	    {BASELINE_PREFIX_ENTITY, "2001:db8:aa:1::7", "2001:db8:aa::/48"},
	    {BASELINE_PREFIX_ENTITY, "bedrock.amazonaws.com", "bedrock.amazonaws.com"},
	    {BASELINE_UA_FAMILY_ENTITY, "aws-cli/2.15.3 Python/3.11.6 Linux/6.1 exe/x86_64", "aws-cli"},
	    {BASELINE_UA_FAMILY_ENTITY, "Boto3/1.34.2 md/Botocore#1.34.2 ua/2.0", "boto3"},
	    {BASELINE_UA_FAMILY_ENTITY, "[aws-sdk-go-v2/1.30.3 os/linux]", "aws-sdk-go-v2"},
	    {BASELINE_UA_FAMILY_ENTITY, "console.amazonaws.com", "console.amazonaws.com"},
	    {BASELINE_ISSUER, "arn:aws:sts::111122223333:assumed-role/app/i-0abc", "arn:aws:sts::111122223333:assumed-role/app"},
	    {BASELINE_ISSUER, "arn:aws:iam::111122223333:user/bob", ""},
	    {BASELINE_ACCOUNT, "111122223333", "111122223333"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rpt_str n = baseline_normalise(cases[i].kind, rpt_s(cases[i].raw), out);
		assert_int_equal(n.n, strlen(cases[i].want));
		if (n.n)
			assert_memory_equal(n.p, cases[i].want, n.n);
	}
}

/* The entity kinds beyond principal and key: a key used from a new network
 * with a new client family is unseen on both, a new runner IP in the usual
 * /24 is not a new network; a session's role learns across sessions; an
 * account's regions; an entity active every day is frequent, one seen on one
 * day unseen. */
static void baseline__more_kinds__key_network_issuer_account(void **s)
{
	(void)s;
	baseline *b = baseline_new();
	char sess[64], ip[32];
	for (int d = 0; d < 10; d++) {
		snprintf(sess, sizeof sess, "arn:aws:sts::1:assumed-role/app/i-%d", d); /* a new session a day */
		snprintf(ip, sizeof ip, "198.51.100.%d", 10 + d);                      /* a new runner IP a day */
		rpt_event_in ev;
		rpt_event_init(&ev);
		ev.time_us = MONDAY + d * DAY_US + 10 * HOUR_US;
		ev.principal = rpt_s(sess);
		ev.access_key = rpt_s("AKIACI");
		ev.account = rpt_s("111122223333");
		ev.region = rpt_s("us-east-1");
		ev.source_ip = rpt_s(ip);
		ev.user_agent = rpt_s(d % 2 ? "aws-cli/2.15.3 Python/3.11" : "aws-cli/2.16.0 Python/3.12");
		ev.action = rpt_s("InvokeModel");
		baseline_observe(b, &ev);
	}
	rpt_str key = rpt_s("AKIACI");
	assert_int_equal(baseline_value(b, BASELINE_ACCESS_KEY, key, BASELINE_IP_PREFIX, rpt_s("198.51.100.99")),
	                 BASELINE_FREQUENT);
	assert_int_equal(baseline_value(b, BASELINE_ACCESS_KEY, key, BASELINE_SOURCE_IP, rpt_s("198.51.100.99")),
	                 BASELINE_UNSEEN);
	assert_int_equal(baseline_value(b, BASELINE_ACCESS_KEY, key, BASELINE_IP_PREFIX, rpt_s("203.0.113.47")),
	                 BASELINE_UNSEEN);
	assert_int_equal(baseline_value(b, BASELINE_ACCESS_KEY, key, BASELINE_UA_FAMILY, rpt_s("aws-cli/2.99.0 x")),
	                 BASELINE_FREQUENT);
	assert_int_equal(baseline_value(b, BASELINE_ACCESS_KEY, key, BASELINE_UA_FAMILY,
	                                rpt_s("python-requests/2.31")),
	                 BASELINE_UNSEEN);
	rpt_str role = rpt_s("arn:aws:sts::1:assumed-role/app/i-new");
	assert_int_equal(baseline_value(b, BASELINE_ISSUER, role, BASELINE_OPERATION, rpt_s("InvokeModel")),
	                 BASELINE_FREQUENT);
	assert_int_equal(baseline_value(b, BASELINE_ISSUER, role, BASELINE_OPERATION, rpt_s("DeleteTrail")),
	                 BASELINE_UNSEEN);
	assert_int_equal(baseline_hour(b, BASELINE_ISSUER, role, MONDAY + 3 * HOUR_US), BASELINE_UNSEEN);
	assert_int_equal(baseline_value(b, BASELINE_ACCOUNT, rpt_s("111122223333"), BASELINE_REGION,
	                                rpt_s("eu-west-1")),
	                 BASELINE_UNSEEN);
	assert_int_equal(baseline_value(b, BASELINE_ACCOUNT, rpt_s("111122223333"), BASELINE_SOURCE_IP,
	                                rpt_s("203.0.113.47")),
	                 BASELINE_UNKNOWN); /* an account does not learn single IPs */
	assert_int_equal(baseline_entity(b, BASELINE_API_ENTITY, rpt_s("InvokeModel"), MONDAY + 9 * DAY_US),
	                 BASELINE_FREQUENT);
	assert_int_equal(baseline_entity(b, BASELINE_API_ENTITY, rpt_s("DeleteTrail"), MONDAY + 9 * DAY_US),
	                 BASELINE_UNSEEN);
	assert_int_equal(baseline_entity(b, BASELINE_IP_ENTITY, rpt_s("198.51.100.12"), MONDAY + 2 * DAY_US),
	                 BASELINE_UNSEEN); /* its own day left out */
	baseline_stats st;
	baseline_get_stats(b, &st);
	assert_int_equal(st.days, 10);
	assert_int_equal(st.by_kind[BASELINE_ISSUER], 1);
	assert_int_equal(st.by_kind[BASELINE_UA_FAMILY_ENTITY], 1);
	assert_int_equal(st.by_kind[BASELINE_PREFIX_ENTITY], 1);
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
	    cmocka_unit_test(baseline__flood_of_every_kind__stays_within_caps),
	    cmocka_unit_test(baseline__normalise__prefix_family_issuer),
	    cmocka_unit_test(baseline__more_kinds__key_network_issuer_account),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
