/*
 * test_period.c — the period per account/region and its gaps
 * (analyzers/audit/period.c): silent hours (CloudTrail runtime calls, no
 * invocation-log record), dark days (no CloudTrail event), one row per key.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "analyzers/audit/period.h"
#include "common/ltime.h"

#define T0 (1773014400LL * 1000000LL) /* 2026-03-09T00:00:00Z */
#define H LTIME_HOUR_US

static ev_str S(const char *s)
{
	return ev_str_from(s, strlen(s));
}

static void add(period *p, ev_source src, const char *action, const char *account, int64_t t, const char *error)
{
	event ev;
	memset(&ev, 0, sizeof ev);
	ev.source = src;
	ev.time_us = t;
	ev.action = S(action);
	ev.service = S(src == EV_SRC_CLOUDTRAIL ? "bedrock.amazonaws.com" : "bedrock");
	ev.account = S(account);
	ev.region = S("us-east-1");
	ev.error_code = S(error);
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(period_add(p, &ev, &e), LT_OK);
}

static bool is(rpt_str s, const char *c)
{
	return s.n == strlen(c) && memcmp(s.p, c, s.n) == 0;
}

static void period__gaps__silent_hours_and_dark_days(void **state)
{
	(void)state;
	period *p = period_new();
	assert_non_null(p);
	/* day 0: calls at 00, 01, 02 h; records at 00 and 02 h; a refused call at 05 h */
	add(p, EV_SRC_CLOUDTRAIL, "InvokeModel", "111", T0 + 10, "");
	add(p, EV_SRC_INVOCATION, "InvokeModel", "111", T0 + 20, "");
	add(p, EV_SRC_CLOUDTRAIL, "Converse", "111", T0 + H + 5, "");
	add(p, EV_SRC_CLOUDTRAIL, "InvokeModel", "111", T0 + 2 * H, "");
	add(p, EV_SRC_INVOCATION, "Converse", "111", T0 + 2 * H + 9, "");
	add(p, EV_SRC_CLOUDTRAIL, "InvokeModel", "111", T0 + 5 * H, "AccessDenied");
	add(p, EV_SRC_KBLOG, "Retrieve", "111", T0 + 6 * H, "");
	/* day 1: nothing from CloudTrail (dark); day 2: a control-plane call */
	add(p, EV_SRC_INVOCATION, "Converse", "111", T0 + 30 * H, "");
	add(p, EV_SRC_CLOUDTRAIL, "ListFoundationModels", "111", T0 + 50 * H, "");
	/* another account: invocation records only */
	add(p, EV_SRC_INVOCATION, "Converse", "222", T0 + 51 * H, "");
	report *r = report_new(NULL);
	assert_non_null(r);
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(period_add_to_report(p, r, &e), LT_OK);
	assert_int_equal(report_nperiods(r), 2);
	const rpt_period *a = report_period(r, 0);
	assert_true(is(a->account, "111"));
	assert_true(is(a->region, "us-east-1"));
	assert_int_equal(a->first_us, T0 + 10);
	assert_int_equal(a->last_us, T0 + 50 * H);
	assert_int_equal(a->cloudtrail, 5);
	assert_int_equal(a->invocation, 3);
	assert_int_equal(a->other, 1);
	assert_int_equal(a->silent_hours, 1);
	assert_true(is(a->silent_list.v[0], "2026-03-09T01"));
	assert_int_equal(a->dark_days, 1);
	assert_true(is(a->dark_list.v[0], "2026-03-10"));
	const rpt_period *b = report_period(r, 1);
	assert_true(is(b->account, "222"));
	assert_int_equal(b->silent_hours, 0);
	assert_int_equal(b->dark_days, 1); /* no CloudTrail at all on its one day */
	report_free(r);
	period_free(p);
}

static void period__many_hours__list_capped_count_exact(void **state)
{
	(void)state;
	period *p = period_new();
	for (int i = 0; i < 100; i++)
		add(p, EV_SRC_CLOUDTRAIL, "InvokeModel", "111", T0 + i * H, "");
	report *r = report_new(NULL);
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(period_add_to_report(p, r, &e), LT_OK);
	const rpt_period *a = report_period(r, 0);
	assert_int_equal(a->silent_hours, 100);
	assert_int_equal(a->silent_list.n, PERIOD_LIST);
	assert_int_equal(a->dark_days, 0);
	report_free(r);
	period_free(p);
	period_free(NULL);
}

/* More account/region pairs than PERIOD_MAX_KEYS: the last slot gathers the
 * rest (it used to stop gathering after the first: every later pair got a
 * slot of its own, without bound). */
static void period__many_accounts__capped_the_rest_gathered(void **state)
{
	(void)state;
	period *p = period_new();
	assert_non_null(p);
	char account[32];
	for (int i = 0; i < PERIOD_MAX_KEYS + 50; i++) {
		snprintf(account, sizeof account, "%012d", i);
		add(p, EV_SRC_CLOUDTRAIL, "ListFoundationModels", account, T0 + i, "");
	}
	add(p, EV_SRC_CLOUDTRAIL, "ListFoundationModels", "000000000000", T0 + H, ""); /* a known pair keeps its slot */
	report *r = report_new(NULL);
	lt_error e;
	lt_error_clear(&e);
	assert_int_equal(period_add_to_report(p, r, &e), LT_OK);
	assert_int_equal(report_nperiods(r), PERIOD_MAX_KEYS);
	size_t other = SIZE_MAX;
	uint64_t first = 0;
	for (size_t i = 0; i < report_nperiods(r); i++) {
		if (is(report_period(r, i)->account, "(other)"))
			other = i;
		if (is(report_period(r, i)->account, "000000000000"))
			first = report_period(r, i)->cloudtrail;
	}
	assert_true(other != SIZE_MAX);
	assert_int_equal(report_period(r, other)->cloudtrail, 51); /* the pairs past the cap */
	assert_int_equal(first, 2);
	report_free(r);
	period_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(period__gaps__silent_hours_and_dark_days),
		cmocka_unit_test(period__many_hours__list_capped_count_exact),
		cmocka_unit_test(period__many_accounts__capped_the_rest_gathered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
