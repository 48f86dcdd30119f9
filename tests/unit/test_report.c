/*
 * test_report.c — the report model (model/report.c), the findings
 * aggregator and redaction (model/findings.c) and the counting map
 * (model/strmap.c).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/findings.h"
#include "model/report.h"
#include "model/strmap.h"

#define MIN_US (60LL * 1000000LL)
#define T0 (1714564800LL * 1000000LL)

static size_t add_rule(report *r, const char *id, rpt_level level)
{
	rpt_rule_in ri;
	memset(&ri, 0, sizeof ri);
	ri.pack = "p";
	ri.id = id;
	ri.title = id;
	ri.level = level;
	size_t idx = 99;
	assert_int_equal(report_add_rule(r, &ri, &idx, NULL), LT_OK);
	return idx;
}

static rpt_event_in event(const char *uid, int64_t t)
{
	rpt_event_in e;
	rpt_event_init(&e);
	e.uid = rpt_s(uid);
	e.time_us = t;
	e.source = rpt_s("cloudtrail");
	e.evidence = rpt_s("ev.json");
	e.line = 3;
	return e;
}

static void hit(report *r, size_t rule, const char *who, const char *uid, int64_t t)
{
	rpt_pair g = {rpt_s("principal"), rpt_s(who)};
	rpt_event_in e = event(uid, t);
	rpt_match_in m = {rpt_s("f"), rpt_s("value"), 0, 5, false};
	assert_int_equal(report_add_hit(r, rule, &g, 1, &e, &m, 1, NULL), LT_OK);
}

static report *with_window(int64_t window_us, size_t max_events)
{
	rpt_options o;
	rpt_options_default(&o);
	o.window_us = window_us;
	o.max_events = max_events;
	report *r = report_new(&o);
	assert_non_null(r);
	return r;
}

/* ---- model ---------------------------------------------------------------- */

static void report__defaults__fail_high_redact_window_1h(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	assert_non_null(r);
	const rpt_options *o = report_options(r);
	assert_int_equal(o->fail_on, RPT_LEVEL_HIGH);
	assert_true(o->redact);
	assert_int_equal(o->window_us, 3600LL * 1000000);
	assert_int_equal(o->max_events, RPT_DEFAULT_MAX_EVENTS);
	assert_int_equal(report_worst_level(r), RPT_LEVEL_NONE);
	assert_false(report_fails(r));
	report_free(r);
	report_free(NULL);
}

static void report__level_names__round_trip(void **state)
{
	(void)state;
	for (int l = 0; l <= RPT_LEVEL_NONE; l++) {
		rpt_level back = RPT_LEVEL_NONE;
		assert_int_equal(rpt_level_parse(rpt_level_name((rpt_level)l), &back), LT_OK);
		assert_int_equal(back, l);
	}
	rpt_level x;
	assert_int_equal(rpt_level_parse("severe", &x), LT_EITEM);
	assert_int_equal(rpt_level_parse(NULL, &x), LT_EITEM);
	assert_string_equal(rpt_outcome_name(RPT_NOT_APPLICABLE), "not applicable");
	assert_string_equal(rpt_check_name(RPT_CHECK_UNVERIFIABLE), "unverifiable");
}

static void report__add_rule__missing_id_is_item_error(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	rpt_rule_in ri;
	memset(&ri, 0, sizeof ri);
	ri.pack = "p";
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(report_add_rule(r, &ri, NULL, &err), LT_EITEM);
	assert_non_null(strstr(err.msg, "without pack or id"));
	assert_int_equal(report_nrules(r), 0);
	assert_int_equal(report_add_hit(r, 5, NULL, 0, NULL, NULL, 0, &err), LT_EITEM);
	report_free(r);
}

static void report__builders__copy_every_string(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	char path[] = "evidence/a.json.gz";
	char reason[] = "bad line";
	rpt_evidence_in ev;
	memset(&ev, 0, sizeof ev);
	ev.path = path;
	ev.sha256 = "ab";
	assert_int_equal(report_add_evidence(r, &ev, NULL), LT_OK);
	assert_int_equal(report_add_problem(r, path, NULL, 9, RPT_SEV_ERROR, reason, NULL), LT_OK);
	memset(path, 'X', sizeof path - 1);
	memset(reason, 'Y', sizeof reason - 1);
	assert_string_equal(report_evidence(r, 0)->path.p, "evidence/a.json.gz");
	assert_int_equal(report_evidence(r, 0)->member.n, 0);
	assert_string_equal(report_problem(r, 0)->reason.p, "bad line");
	assert_int_equal(report_problem(r, 0)->line, 9);
	assert_int_equal(report_evidence_files(r), 1);
	assert_null(report_evidence(r, 1));
	report_free(r);
}

static void report__note_event__range_sources_hours(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	int64_t times[] = {T0 + 5 * MIN_US, T0 + 70 * MIN_US, T0 - 30 * MIN_US, T0 + 6 * MIN_US};
	const char *src[] = {"cloudtrail", "invocation", "cloudtrail", "cloudtrail"};
	for (int i = 0; i < 4; i++) {
		rpt_event_in e = event("u", times[i]);
		e.source = rpt_s(src[i]);
		assert_int_equal(report_note_event(r, &e, NULL), LT_OK);
	}
	int64_t first, last;
	report_time_range(r, &first, &last);
	assert_int_equal(first, T0 - 30 * MIN_US);
	assert_int_equal(last, T0 + 70 * MIN_US);
	assert_int_equal(report_total_events(r), 4);
	assert_int_equal(report_nsources(r), 2);
	assert_string_equal(report_source(r, 0)->name.p, "cloudtrail");
	assert_int_equal(report_source(r, 0)->count, 3);
	/* hours: T0-1h (1 ct), T0 (2 ct), T0+1h (1 inv), ascending */
	assert_int_equal(report_nbuckets(r), 3);
	assert_int_equal(report_bucket(r, 0)->hour_us, T0 - 60 * MIN_US);
	assert_int_equal(report_bucket(r, 1)->hour_us, T0);
	assert_int_equal(report_bucket(r, 1)->counts[0], 2);
	assert_int_equal(report_bucket(r, 2)->counts[1], 1);
	report_free(r);
}

static void report__sources__past_cap_go_to_other(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	char name[16];
	for (int i = 0; i < RPT_MAX_SOURCES + 3; i++) {
		snprintf(name, sizeof name, "s%d", i);
		rpt_event_in e = event("u", T0);
		e.source = rpt_s(name);
		assert_int_equal(report_note_event(r, &e, NULL), LT_OK);
	}
	assert_int_equal(report_nsources(r), RPT_MAX_SOURCES);
	assert_string_equal(report_source(r, RPT_MAX_SOURCES - 1)->name.p, "other");
	assert_int_equal(report_source(r, RPT_MAX_SOURCES - 1)->count, 4);
	assert_int_equal(report_total_events(r), RPT_MAX_SOURCES + 3);
	report_free(r);
}

static void report__top_principals__count_desc_then_name(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	const char *who[] = {"bob", "alice", "carol", "bob", "alice", "bob", "dave"};
	for (size_t i = 0; i < 7; i++) {
		rpt_event_in e = event("u", T0);
		e.principal = rpt_s(who[i]);
		e.source_ip = rpt_s(i % 2 ? "10.0.0.1" : "");
		assert_int_equal(report_note_event(r, &e, NULL), LT_OK);
	}
	rpt_count top[3];
	assert_int_equal(report_top_principals(r, top, 3), 3);
	assert_string_equal(top[0].name.p, "bob");
	assert_int_equal(top[0].count, 3);
	assert_string_equal(top[1].name.p, "alice");
	assert_string_equal(top[2].name.p, "carol"); /* tie with dave: name order */
	assert_int_equal(report_top_ips(r, top, 3), 1);
	assert_int_equal(top[0].count, 3);
	report_free(r);
}

static void report__now__source_date_epoch(void **state)
{
	(void)state;
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	assert_int_equal(report_now_us(), 1700000000LL * 1000000);
	setenv("SOURCE_DATE_EPOCH", "17x", 1);
	assert_true(report_now_us() > 1700000000LL * 1000000); /* invalid: the clock */
	unsetenv("SOURCE_DATE_EPOCH");
}

static void report__order__level_then_rule_then_time(void **state)
{
	(void)state;
	report *r = with_window(0, 5);
	size_t low = add_rule(r, "b-low", RPT_LEVEL_LOW);
	size_t crit = add_rule(r, "z-crit", RPT_LEVEL_CRITICAL);
	size_t crit2 = add_rule(r, "a-crit", RPT_LEVEL_CRITICAL);
	hit(r, low, "x", "1", T0);
	hit(r, crit, "x", "2", T0 + 2 * MIN_US);
	hit(r, crit, "y", "3", T0 + 1 * MIN_US);
	hit(r, crit2, "x", "4", T0 + 9 * MIN_US);
	size_t *o = report_findings_order(r);
	assert_non_null(o);
	assert_int_equal(report_finding(r, o[0])->rule, crit2);
	assert_int_equal(report_finding(r, o[1])->first_us, T0 + 1 * MIN_US);
	assert_int_equal(report_finding(r, o[2])->first_us, T0 + 2 * MIN_US);
	assert_int_equal(report_finding(r, o[3])->rule, low);
	free(o);
	size_t *ro = report_rules_order(r);
	assert_string_equal(report_rule(r, ro[0])->id.p, "a-crit");
	assert_string_equal(report_rule(r, ro[1])->id.p, "b-low");
	free(ro);
	uint64_t c[RPT_NLEVELS];
	report_level_counts(r, c);
	assert_int_equal(c[RPT_LEVEL_CRITICAL], 3);
	assert_int_equal(c[RPT_LEVEL_LOW], 1);
	assert_int_equal(report_worst_level(r), RPT_LEVEL_CRITICAL);
	assert_true(report_fails(r));
	assert_int_equal(report_rule(r, crit)->outcome, RPT_FIRED);
	assert_int_equal(report_rule(r, crit)->findings, 2);
	report_free(r);
}

static void report__fails__only_at_or_above_fail_on(void **state)
{
	(void)state;
	report *r = report_new(NULL); /* fail_on high */
	size_t med = add_rule(r, "m", RPT_LEVEL_MEDIUM);
	hit(r, med, "x", "1", T0);
	assert_false(report_fails(r));
	size_t high = add_rule(r, "h", RPT_LEVEL_HIGH);
	hit(r, high, "x", "2", T0);
	assert_true(report_fails(r));
	report_free(r);
	rpt_options o;
	rpt_options_default(&o);
	o.fail_on = RPT_LEVEL_NONE;
	r = report_new(&o);
	high = add_rule(r, "h", RPT_LEVEL_CRITICAL);
	hit(r, high, "x", "2", T0);
	assert_false(report_fails(r));
	report_free(r);
}

static void report__tables_charts__rows_and_series_kept(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	const char *cols[] = {"a", "b"};
	size_t t;
	assert_int_equal(report_add_table(r, "T", 2, cols, &t, NULL), LT_OK);
	char num[16];
	for (int i = 0; i < 37; i++) {
		snprintf(num, sizeof num, "%d", i);
		rpt_str row[2] = {rpt_s(num), rpt_s("x")};
		assert_int_equal(report_table_add_row(r, t, row, NULL), LT_OK);
	}
	const rpt_table *tb = report_table(r, t);
	assert_int_equal(tb->nrows, 37);
	assert_string_equal(tb->cells[36 * 2].p, "36");
	assert_string_equal(tb->cells[0].p, "0");
	const char *x[] = {"d1", "d2"};
	size_t c;
	assert_int_equal(report_add_chart(r, "C", RPT_CHART_LINE, "ms", 2, x, &c, NULL), LT_OK);
	double v[] = {1.5, 2}, v2[] = {3, 4};
	assert_int_equal(report_chart_add_series(r, c, "s1", v, NULL), LT_OK);
	assert_int_equal(report_chart_add_series(r, c, "s2", v2, NULL), LT_OK);
	v[0] = 99;
	const rpt_chart *ch = report_chart(r, c);
	assert_int_equal(ch->nseries, 2);
	assert_true(ch->series[0].values[0] == 1.5);
	assert_string_equal(ch->series[1].name.p, "s2");
	assert_int_equal(report_table_add_row(r, 7, NULL, NULL), LT_EITEM);
	assert_int_equal(report_chart_add_series(r, 3, "x", v, NULL), LT_EITEM);
	report_free(r);
}

static lt_status tiny_writer(const report *r, FILE *out, lt_error *err)
{
	(void)err;
	fprintf(out, "rules=%zu\n", report_nrules(r));
	return LT_OK;
}

static lt_status failing_writer(const report *r, FILE *out, lt_error *err)
{
	(void)r;
	fputs("partial", out);
	return lt_error_set(err, LT_EFILE, "boom");
}

static void report__write_path__atomic_and_cleans_up(void **state)
{
	(void)state;
	char dir[] = "/tmp/llmtrail-report-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], tmp[260];
	snprintf(path, sizeof path, "%s/out.txt", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	report *r = report_new(NULL);
	add_rule(r, "a", RPT_LEVEL_LOW);
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(report_write_path(r, tiny_writer, path, &err), LT_OK);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char line[32] = "";
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_string_equal(line, "rules=1\n");
	assert_int_equal(report_write_path(r, failing_writer, path, &err), LT_EFILE);
	assert_string_equal(err.file, path);
	assert_null(fopen(tmp, "rb")); /* the temporary file is gone */
	f = fopen(path, "rb");           /* the old report is intact */
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_string_equal(line, "rules=1\n");
	snprintf(path, sizeof path, "%s/no/such/dir/x", dir);
	assert_int_equal(report_write_path(r, tiny_writer, path, &err), LT_EFILE);
	assert_non_null(strstr(err.msg, "cannot create"));
	snprintf(path, sizeof path, "%s/out.txt", dir);
	remove(path);
	rmdir(dir);
	report_free(r);
}

/* ---- aggregation ------------------------------------------------------------ */

static void findings__same_group_within_window__merge(void **state)
{
	(void)state;
	report *r = with_window(3600LL * 1000000, 20);
	size_t rule = add_rule(r, "r", RPT_LEVEL_HIGH);
	hit(r, rule, "alice", "1", T0);
	hit(r, rule, "alice", "2", T0 + 30 * MIN_US);
	hit(r, rule, "alice", "3", T0 + 89 * MIN_US); /* within 1 h of the last event */
	assert_int_equal(report_nfindings(r), 1);
	const rpt_finding *f = report_finding(r, 0);
	assert_int_equal(f->count, 3);
	assert_int_equal(f->nevents, 3);
	assert_int_equal(f->first_us, T0);
	assert_int_equal(f->last_us, T0 + 89 * MIN_US);
	assert_string_equal(f->group_text.p, "principal=alice");
	assert_string_equal(f->events[2].uid.p, "3");
	assert_int_equal(report_rule(r, rule)->hits, 3);
	assert_int_equal(report_rule(r, rule)->findings, 1);
	report_free(r);
}

static void findings__past_window__new_finding(void **state)
{
	(void)state;
	report *r = with_window(3600LL * 1000000, 20);
	size_t rule = add_rule(r, "r", RPT_LEVEL_HIGH);
	hit(r, rule, "alice", "1", T0);
	hit(r, rule, "alice", "2", T0 + 61 * MIN_US);
	hit(r, rule, "alice", "3", T0 + 62 * MIN_US);
	assert_int_equal(report_nfindings(r), 2);
	assert_int_equal(report_finding(r, 0)->count, 1);
	assert_int_equal(report_finding(r, 1)->count, 2);
	report_free(r);
}

/* report_hit_keeps_event tells, before the hit, whether report_add_hit will
 * keep the event in full: room in the finding it joins, a new finding, not
 * the same event again (by seq when it has one, as correlation events do). */
static void findings__keeps_event__agrees_with_add_hit(void **state)
{
	(void)state;
	report *r = with_window(3600LL * 1000000, 3);
	size_t rule = add_rule(r, "r", RPT_LEVEL_HIGH);
	rpt_pair g = {rpt_s("group"), rpt_s("a")};
	for (uint64_t seq = 1; seq <= 5; seq++) {
		rpt_event_in e = event("", T0 + (int64_t)seq * MIN_US); /* no uid: named by seq */
		e.seq = seq;
		bool keeps = report_hit_keeps_event(r, rule, &g, 1, &e);
		size_t before = report_finding(r, 0) ? report_finding(r, 0)->nevents : 0;
		assert_int_equal(report_add_hit(r, rule, &g, 1, &e, NULL, 0, NULL), LT_OK);
		assert_int_equal(keeps, seq <= 3);
		assert_int_equal(report_finding(r, 0)->nevents, before + (keeps ? 1 : 0));
		assert_int_equal(report_finding(r, 0)->count, seq); /* distinct seqs: each counted */
		assert_false(report_hit_keeps_event(r, rule, &g, 1, &e)); /* the same event again */
	}
	rpt_event_in later = event("", T0 + 5 * MIN_US + 61 * MIN_US); /* past the window: new finding */
	later.seq = 6;
	assert_true(report_hit_keeps_event(r, rule, &g, 1, &later));
	assert_int_equal(report_add_hit(r, rule, &g, 1, &later, NULL, 0, NULL), LT_OK);
	assert_int_equal(report_nfindings(r), 2);
	assert_false(report_hit_keeps_event(r, rule + 1, &g, 1, &later)); /* unknown rule */
	report_free(r);
}

/* The findings' copies of long event strings stop at RPT_LONG_BUDGET: past
 * it a user agent is kept as prefix, length and hash, and counted. */
static void findings__long_strings_past_budget__abbreviated_and_counted(void **state)
{
	(void)state;
	report *r = with_window(0, 1);
	size_t rule = add_rule(r, "r", RPT_LEVEL_LOW);
	size_t len = 4096, n = RPT_LONG_BUDGET / len + 3;
	char *ua = malloc(len + 1);
	assert_non_null(ua);
	memset(ua, 'u', len);
	ua[len] = '\0';
	char uid[32];
	for (size_t i = 0; i < n; i++) {
		snprintf(uid, sizeof uid, "e-%zu", i);
		snprintf(ua + len - 12, 13, "%012zu", i);
		rpt_event_in e = event(uid, T0 + (int64_t)i * MIN_US);
		e.user_agent = rpt_s(ua);
		rpt_pair g = {rpt_s("uid"), rpt_s(uid)};
		assert_int_equal(report_add_hit(r, rule, &g, 1, &e, NULL, 0, NULL), LT_OK);
	}
	assert_int_equal(report_findings_abbreviated(r), 3);
	const rpt_finding *first = report_finding(r, 0), *last = report_finding(r, n - 1);
	assert_int_equal(first->events[0].user_agent.n, len); /* within the budget: whole */
	assert_memory_equal(first->events[0].user_agent.p, ua, len - 12);
	const rpt_str *kept = &last->events[0].user_agent;
	assert_true(kept->n < 200);
	assert_non_null(strstr(kept->p, "...(4096 bytes, sha256:"));
	assert_int_equal(memcmp(kept->p, ua, RPT_LONG_PREFIX), 0);
	free(ua);
	report_free(r);
}

static void findings__other_group_or_rule__separate(void **state)
{
	(void)state;
	report *r = with_window(3600LL * 1000000, 20);
	size_t a = add_rule(r, "a", RPT_LEVEL_HIGH);
	size_t b = add_rule(r, "b", RPT_LEVEL_HIGH);
	hit(r, a, "alice", "1", T0);
	hit(r, a, "bob", "2", T0);
	hit(r, b, "alice", "3", T0);
	assert_int_equal(report_nfindings(r), 3);
	/* ("a", "b=c") and ("a=b", "c") must not collide */
	rpt_event_in e = event("9", T0);
	rpt_pair g1 = {rpt_s("a"), rpt_s("b=c")}, g2 = {rpt_s("a=b"), rpt_s("c")};
	assert_int_equal(report_add_hit(r, a, &g1, 1, &e, NULL, 0, NULL), LT_OK);
	e.uid = rpt_s("10");
	assert_int_equal(report_add_hit(r, a, &g2, 1, &e, NULL, 0, NULL), LT_OK);
	assert_int_equal(report_nfindings(r), 5);
	report_free(r);
}

static void findings__unknown_time__never_joins_by_time(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	size_t rule = add_rule(r, "r", RPT_LEVEL_HIGH);
	hit(r, rule, "alice", "1", INT64_MIN);
	hit(r, rule, "alice", "2", T0);
	hit(r, rule, "alice", "3", INT64_MIN);
	assert_int_equal(report_nfindings(r), 3);
	hit(r, rule, "alice", "3", INT64_MIN); /* the same event again still merges */
	assert_int_equal(report_nfindings(r), 3);
	report_free(r);
}

static void findings__window_zero__every_hit_alone(void **state)
{
	(void)state;
	report *r = with_window(0, 20);
	size_t rule = add_rule(r, "r", RPT_LEVEL_HIGH);
	hit(r, rule, "alice", "1", T0);
	hit(r, rule, "alice", "2", T0);
	assert_int_equal(report_nfindings(r), 2);
	/* the same event again (another selection of the rule) only adds a match */
	rpt_pair g = {rpt_s("principal"), rpt_s("alice")};
	rpt_event_in e = event("2", T0);
	rpt_match_in m = {rpt_s("other"), rpt_s("zzz"), 1, 2, false};
	assert_int_equal(report_add_hit(r, rule, &g, 1, &e, &m, 1, NULL), LT_OK);
	assert_int_equal(report_nfindings(r), 2);
	const rpt_finding *f = report_finding(r, 1);
	assert_int_equal(f->count, 1);
	assert_int_equal(f->events[0].nmatches, 2);
	assert_string_equal(f->events[0].matches[1].field.p, "other");
	report_free(r);
}

static void findings__events_capped__rest_counted(void **state)
{
	(void)state;
	report *r = with_window(3600LL * 1000000, 3);
	size_t rule = add_rule(r, "r", RPT_LEVEL_HIGH);
	char uid[8];
	for (int i = 0; i < 10; i++) {
		snprintf(uid, sizeof uid, "%d", i);
		hit(r, rule, "alice", uid, T0 + i * MIN_US);
	}
	const rpt_finding *f = report_finding(r, 0);
	assert_int_equal(f->count, 10);
	assert_int_equal(f->nevents, 3);
	assert_string_equal(f->events[2].uid.p, "2");
	assert_int_equal(f->last_us, T0 + 9 * MIN_US);
	report_free(r);
}

static void findings__matches_capped__rest_counted(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	size_t rule = add_rule(r, "r", RPT_LEVEL_HIGH);
	rpt_match_in m[RPT_MAX_MATCHES + 2];
	for (size_t i = 0; i < RPT_MAX_MATCHES + 2; i++)
		m[i] = (rpt_match_in){rpt_s("f"), rpt_s("abc"), 0, 1, false};
	rpt_event_in e = event("1", T0);
	assert_int_equal(report_add_hit(r, rule, NULL, 0, &e, m, RPT_MAX_MATCHES + 2, NULL), LT_OK);
	const rpt_event *ev = &report_finding(r, 0)->events[0];
	assert_int_equal(ev->nmatches, RPT_MAX_MATCHES);
	assert_int_equal(ev->matches_dropped, 2);
	assert_int_equal(report_finding(r, 0)->ngroup, 0);
	assert_int_equal(report_finding(r, 0)->group_text.n, 0);
	report_free(r);
}

static void findings__max_findings__dropped_counted(void **state)
{
	(void)state;
	rpt_options o;
	rpt_options_default(&o);
	o.max_findings = 2;
	o.window_us = 0;
	report *r = report_new(&o);
	size_t rule = add_rule(r, "r", RPT_LEVEL_HIGH);
	hit(r, rule, "a", "1", T0);
	hit(r, rule, "b", "2", T0);
	hit(r, rule, "c", "3", T0);
	hit(r, rule, "d", "4", T0);
	assert_int_equal(report_nfindings(r), 2);
	assert_int_equal(report_findings_dropped(r), 2);
	report_free(r);
}

static const rpt_match *one_match(report *r, const char *value, size_t s, size_t e, bool secret)
{
	size_t rule = add_rule(r, "r", RPT_LEVEL_HIGH);
	rpt_event_in ev = event("1", T0);
	rpt_match_in m = {rpt_s("prompt"), rpt_s(value), s, e, secret};
	assert_int_equal(report_add_hit(r, rule, NULL, 0, &ev, &m, 1, NULL), LT_OK);
	return &report_finding(r, report_nfindings(r) - 1)->events[0].matches[0];
}

static void findings__excerpt__context_and_mark(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	char v[301];
	memset(v, 'a', 300);
	v[300] = '\0';
	memcpy(v + 150, "NEEDLE", 6);
	const rpt_match *m = one_match(r, v, 150, 156, false);
	assert_int_equal(m->excerpt.n, RPT_EXCERPT_CONTEXT * 2 + 6);
	assert_int_equal(m->mark_start, RPT_EXCERPT_CONTEXT);
	assert_int_equal(m->mark_end, RPT_EXCERPT_CONTEXT + 6);
	assert_memory_equal(m->excerpt.p + m->mark_start, "NEEDLE", 6);
	assert_true(m->cut_before);
	assert_true(m->cut_after);
	assert_int_equal(m->value_start, 150);
	assert_int_equal(m->value_len, 300);
	/* a short value: all of it, nothing cut */
	m = one_match(r, "xx key yy", 3, 6, false);
	assert_string_equal(m->excerpt.p, "xx key yy");
	assert_false(m->cut_before);
	assert_false(m->cut_after);
	/* spans past the value are clamped */
	m = one_match(r, "abc", 2, 99, false);
	assert_int_equal(m->mark_start, 2);
	assert_int_equal(m->mark_end, 3);
	report_free(r);
}

static void findings__excerpt__never_splits_utf8(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	/* 70 x "é" (2 bytes each) then the match: the 60-byte context cut lands on a boundary */
	char v[256];
	size_t n = 0;
	for (int i = 0; i < 70; i++) {
		v[n++] = (char)0xC3;
		v[n++] = (char)0xA9;
	}
	v[n++] = 'X';
	n += (size_t)snprintf(v + n, sizeof v - n, "%s", "\xE2\x82\xAC\xE2\x82\xAC"); /* two € */
	v[n] = '\0';
	const rpt_match *m = one_match(r, v, 140, 141, false);
	assert_true(((unsigned char)m->excerpt.p[0] & 0xC0) != 0x80);
	assert_int_equal(m->mark_end - m->mark_start, 1);
	assert_int_equal(m->excerpt.p[m->mark_start], 'X');
	/* the match itself is cut at RPT_MATCH_MAX on a boundary */
	char big[RPT_MATCH_MAX + 50];
	for (size_t i = 0; i + 3 <= sizeof big - 1; i += 3)
		memcpy(big + i, "\xE2\x82\xAC", 3);
	big[sizeof big - 1] = '\0';
	size_t len = strlen(big);
	m = one_match(r, big, 0, len, false);
	assert_true(m->mark_end <= RPT_MATCH_MAX);
	assert_int_equal(m->mark_end % 3, 0);
	assert_true(m->cut_after);
	report_free(r);
}

static void findings__secret__redacted_unless_off(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	const char *v = "use AKIAIOSFODNN7EXAMPLE now";
	const rpt_match *m = one_match(r, v, 4, 24, true);
	assert_true(m->redacted);
	assert_string_equal(m->excerpt.p, "use AKIA\xE2\x80\xA6(20 chars) now");
	assert_memory_equal(m->excerpt.p + m->mark_start, "AKIA\xE2\x80\xA6(20 chars)", m->mark_end - m->mark_start);
	assert_null(strstr(m->excerpt.p, "IOSFODNN"));
	assert_int_equal(m->value_start, 4);
	assert_int_equal(m->value_end, 24);
	report_free(r);

	rpt_options o;
	rpt_options_default(&o);
	o.redact = false;
	r = report_new(&o);
	m = one_match(r, v, 4, 24, true);
	assert_false(m->redacted);
	assert_string_equal(m->excerpt.p, v);
	report_free(r);
}

static void findings__secret__context_beside_match_is_masked(void **state)
{
	(void)state;
	report *r = report_new(NULL);
	/* the rule anchored on the keyword; the secret itself sits in the context */
	const char *v = "key_id = AKIATTPOLHFDHNFSRXH4\naws_secret_access_key = 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\nregion";
	const char *kw = strstr(v, "secret");
	size_t s = (size_t)(kw - v);
	const rpt_match *m = one_match(r, v, s, s + 6, true);
	assert_true(m->redacted);
	assert_null(strstr(m->excerpt.p, "AKIATTPOLHFDHNFSRXH4"));
	assert_null(strstr(m->excerpt.p, "xqg+rw1OFR3uZrCTZPIcuHIzW1Wv"));
	assert_non_null(strstr(m->excerpt.p, "key_id = ***"));
	assert_non_null(strstr(m->excerpt.p, "_access_key = ***"));
	assert_memory_equal(m->excerpt.p + m->mark_start, "s\xE2\x80\xA6(6 chars)", m->mark_end - m->mark_start);
	report_free(r);
}

static void findings__redact__prefix_and_length(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(findings_redact("AKIAIOSFODNN7EXAMPLE", 20, out, sizeof out),
	                 strlen("AKIA\xE2\x80\xA6(20 chars)"));
	assert_string_equal(out, "AKIA\xE2\x80\xA6(20 chars)");
	findings_redact("hunter2!", 8, out, sizeof out); /* short: a quarter shown */
	assert_string_equal(out, "hu\xE2\x80\xA6(8 chars)");
	findings_redact("abc", 3, out, sizeof out);
	assert_string_equal(out, "\xE2\x80\xA6(3 chars)");
	findings_redact("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 16, out,
	                sizeof out); /* 8 characters, 2 kept whole */
	assert_string_equal(out, "\xC3\xA9\xC3\xA9\xE2\x80\xA6(8 chars)");
	findings_redact("AKIAIOSFODNN7EXAMPLE", 20, out, 8); /* too small: never a partial secret */
	assert_int_equal(strlen(out), 7);
	assert_null(strstr(out, "AKIA"));
}

static size_t rules_of(report *r, const char *source, const char *uid, uint64_t seq,
                       size_t *rules)
{
	rpt_event_in e;
	rpt_event_init(&e);
	e.source = rpt_s(source);
	e.uid = rpt_s(uid);
	e.seq = seq;
	return report_event_rules(r, &e, rules, 4);
}

static void findings__event_rules__lookup_by_source_uid(void **state)
{
	(void)state;
	report *r = with_window(0, 20);
	size_t a = add_rule(r, "a", RPT_LEVEL_HIGH);
	size_t b = add_rule(r, "b", RPT_LEVEL_HIGH);
	hit(r, b, "x", "e1", T0);
	hit(r, a, "x", "e1", T0);
	hit(r, a, "y", "e1", T0); /* same rule again: listed once */
	size_t rules[4];
	assert_int_equal(rules_of(r, "cloudtrail", "e1", 0, rules), 2);
	assert_int_equal(rules[0], a);
	assert_int_equal(rules[1], b);
	assert_int_equal(rules_of(r, "invocation", "e1", 0, rules), 0);
	assert_int_equal(rules_of(r, "cloudtrail", "e2", 0, rules), 0);
	report_free(r);
}

/* Hits on replayed events are found by their seq, in any order of adding,
 * also when the (source, uid) is the same as another row's; hits without a
 * seq still by (source, uid); both kinds merged on one row. */
static void findings__event_rules__by_seq_then_uid(void **state)
{
	(void)state;
	report *r = with_window(0, 20);
	size_t a = add_rule(r, "a", RPT_LEVEL_HIGH);
	size_t b = add_rule(r, "b", RPT_LEVEL_HIGH);
	size_t c = add_rule(r, "c", RPT_LEVEL_HIGH);
	rpt_pair g = {rpt_s("principal"), rpt_s("p")};
	uint64_t seqs[] = {7, 3, 7, 9};
	size_t rule_of[] = {b, a, a, c};
	for (size_t i = 0; i < 4; i++) {
		rpt_event_in e = event("dup", T0);
		e.seq = seqs[i];
		assert_int_equal(report_add_hit(r, rule_of[i], &g, 1, &e, NULL, 0, NULL), LT_OK);
	}
	hit(r, c, "x", "e9", T0); /* a builtin's hit: no seq */
	size_t rules[4];
	assert_int_equal(rules_of(r, "cloudtrail", "dup", 1, rules), 0);
	assert_int_equal(rules_of(r, "cloudtrail", "dup", 3, rules), 1);
	assert_int_equal(rules[0], a);
	assert_int_equal(rules_of(r, "cloudtrail", "dup", 7, rules), 2);
	assert_int_equal(rules[0], a);
	assert_int_equal(rules[1], b);
	assert_int_equal(rules_of(r, "cloudtrail", "e9", 9, rules), 1); /* seq 9: c, uid e9: c */
	assert_int_equal(rules[0], c);
	assert_int_equal(rules_of(r, "cloudtrail", "dup", 10, rules), 0);
	assert_int_equal(report_event_rules_status(r, NULL), LT_OK);
	rpt_event_in late = event("late", T0);
	late.seq = 11; /* after the rows began: refused */
	assert_int_equal(report_add_hit(r, a, &g, 1, &late, NULL, 0, NULL), LT_EFATAL);
	report_free(r);
}

/* ---- strmap -------------------------------------------------------------------- */

static void strmap__insert_find_grow__insertion_order(void **state)
{
	(void)state;
	strmap *m = strmap_new(0);
	char k[16];
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(k, sizeof k, "k%d", i);
		uint64_t *v = strmap_slot(m, k, (size_t)n, true, NULL);
		assert_non_null(v);
		*v = (uint64_t)i * 2;
	}
	assert_int_equal(strmap_count(m), 5000);
	const uint64_t *v = strmap_find(m, "k4321", 5);
	assert_non_null(v);
	assert_int_equal(*v, 8642);
	assert_null(strmap_find(m, "k5000", 5));
	assert_null(strmap_slot(m, "nope", 4, false, NULL));
	const char *key;
	size_t n;
	uint64_t val;
	strmap_entry(m, 3, &key, &n, &val);
	assert_int_equal(n, 2);
	assert_memory_equal(key, "k3", 2);
	/* binary keys with NUL bytes */
	assert_non_null(strmap_slot(m, "a\0b", 3, true, NULL));
	assert_null(strmap_find(m, "a\0c", 3));
	assert_non_null(strmap_find(m, "a\0b", 3));
	strmap_free(m);
	strmap_free(NULL);
}

static void strmap__cap__reports_full(void **state)
{
	(void)state;
	strmap *m = strmap_new(2);
	bool full = false;
	assert_non_null(strmap_slot(m, "a", 1, true, &full));
	assert_non_null(strmap_slot(m, "b", 1, true, &full));
	assert_false(full);
	assert_null(strmap_slot(m, "c", 1, true, &full));
	assert_true(full);
	assert_non_null(strmap_slot(m, "a", 1, true, NULL)); /* existing keys still found */
	strmap_free(m);
}


static rpt_verdict verdict_of(rpt_level fail_on, rpt_level finding, bool with_event, bool problem, bool failed_rule)
{
	rpt_options o;
	rpt_options_default(&o);
	o.fail_on = fail_on;
	report *r = report_new(&o);
	assert_non_null(r);
	rpt_event_in ev = event("1", T0);
	if (with_event)
		assert_int_equal(report_note_event(r, &ev, NULL), LT_OK);
	if (finding != RPT_LEVEL_NONE)
		hit(r, add_rule(r, "r", finding), "a", "1", T0);
	if (problem)
		assert_int_equal(report_add_problem(r, "f.json", NULL, 1, RPT_SEV_WARNING, "cut short", NULL), LT_OK);
	if (failed_rule) {
		size_t k = add_rule(r, "broken", RPT_LEVEL_LOW);
		assert_int_equal(report_set_rule_outcome(r, k, RPT_FAILED, "regex limit", NULL), LT_OK);
	}
	rpt_verdict v = report_verdict(r);
	char reason[512];
	assert_true(report_verdict_reason(r, reason, sizeof reason) > 0);
	report_free(r);
	return v;
}

static bool rpt_str_eq(rpt_str a, const char *b)
{
	return a.n == strlen(b) && memcmp(a.p, b, a.n) == 0;
}

/* A correlation's counted-only events come with their replay seq and no
 * uid: the finding holds their places, the pass after the replay fills them
 * in seq order, and a place never filled is counted omitted, never listed
 * empty. */
static void report__counted_events__uids_resolved_after_replay(void **state)
{
	(void)state;
	report *r = with_window(3600LL * 1000000, 1);
	size_t k = add_rule(r, "corr", RPT_LEVEL_MEDIUM);
	rpt_pair g = {rpt_s("group"), rpt_s("kb=1")};
	const uint64_t seqs[] = {7, 3, 9, 5}; /* hit order; 9 is never replayed */
	for (size_t i = 0; i < 4; i++) {
		rpt_event_in e;
		rpt_event_init(&e);
		e.time_us = T0 + (int64_t)i;
		e.source = rpt_s("kb-log");
		e.seq = seqs[i];
		if (i == 0)
			e.uid = rpt_s("kept-7"); /* the one kept in full has its header */
		assert_int_equal(report_add_hit(r, k, &g, 1, &e, NULL, 0, NULL), LT_OK);
	}
	const rpt_finding *f = report_finding(r, 0);
	assert_int_equal(f->count, 4);
	assert_int_equal(report_uids_pending(r), 3);
	assert_int_equal(report_resolve_uid(r, 3, rpt_s("uid-3")), LT_OK);
	assert_int_equal(report_resolve_uid(r, 5, rpt_s("uid-5")), LT_OK);
	assert_int_equal(report_resolve_uid(r, 7, rpt_s("kept-7")), LT_OK);
	assert_int_equal(report_resolve_uid(r, 11, rpt_s("other")), LT_OK);
	assert_int_equal(report_uids_pending(r), 0);
	report_uids_resolved(r);
	f = report_finding(r, 0);
	assert_int_equal(f->nevent_uids, 3);
	assert_int_equal(f->event_uids_omitted, 1);
	assert_true(rpt_str_eq(f->event_uids[0], "kept-7"));
	assert_true(rpt_str_eq(f->event_uids[1], "uid-3"));
	assert_true(rpt_str_eq(f->event_uids[2], "uid-5"));
	/* after the pass, a uid-less hit is counted omitted at once */
	rpt_event_in late;
	rpt_event_init(&late);
	late.time_us = T0 + 10;
	late.source = rpt_s("kb-log");
	late.seq = 20;
	assert_int_equal(report_add_hit(r, k, &g, 1, &late, NULL, 0, NULL), LT_OK);
	assert_int_equal(report_uids_pending(r), 0);
	assert_int_equal(report_finding(r, 0)->event_uids_omitted, 2);
	report_free(r);
}

static void report__verdict__one_per_situation(void **state)
{
	(void)state;
	const rpt_level H = RPT_LEVEL_HIGH, N = RPT_LEVEL_NONE;
	assert_int_equal(verdict_of(H, N, false, false, false), RPT_VERDICT_NO_EVIDENCE);
	/* findings that fail the gate are reported even when evidence is missing */
	assert_int_equal(verdict_of(H, RPT_LEVEL_HIGH, true, true, false), RPT_VERDICT_FAIL);
	assert_int_equal(verdict_of(H, RPT_LEVEL_CRITICAL, true, false, false), RPT_VERDICT_FAIL);
	/* --fail-on none never says PASS, whatever was found */
	assert_int_equal(verdict_of(N, RPT_LEVEL_CRITICAL, true, false, false), RPT_VERDICT_NOT_GATED);
	assert_int_equal(verdict_of(N, N, true, false, false), RPT_VERDICT_NOT_GATED);
	/* below the gate but something not read or not run: not a PASS */
	assert_int_equal(verdict_of(H, RPT_LEVEL_MEDIUM, true, true, false), RPT_VERDICT_INCOMPLETE);
	assert_int_equal(verdict_of(H, N, true, false, true), RPT_VERDICT_INCOMPLETE);
	assert_int_equal(verdict_of(H, RPT_LEVEL_MEDIUM, true, false, false), RPT_VERDICT_PASS);
	assert_string_equal(rpt_verdict_name(RPT_VERDICT_NOT_GATED), "NOT GATED");
	assert_string_equal(rpt_verdict_name(RPT_VERDICT_NO_EVIDENCE), "NO EVIDENCE");
}

static void report__verdict_reason__names_the_gate_and_what_is_missing(void **state)
{
	(void)state;
	rpt_options o;
	rpt_options_default(&o);
	report *r = report_new(&o);
	rpt_event_in ev = event("1", T0);
	assert_int_equal(report_note_event(r, &ev, NULL), LT_OK);
	hit(r, add_rule(r, "r", RPT_LEVEL_MEDIUM), "a", "1", T0);
	assert_int_equal(report_add_problem(r, "f.json", NULL, 1, RPT_SEV_ERROR, "truncated", NULL), LT_OK);
	char reason[512];
	report_verdict_reason(r, reason, sizeof reason);
	assert_string_equal(reason, "no finding at or above high (the fail-on level), 1 below it; 1 evidence "
	                            "problem: not everything was read");
	/* a short buffer is cut, never overrun, and the full length is returned */
	char small[8];
	size_t n = report_verdict_reason(r, small, sizeof small);
	assert_int_equal(n, strlen(reason));
	assert_int_equal(strlen(small), sizeof small - 1);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(report__defaults__fail_high_redact_window_1h),
		cmocka_unit_test(report__level_names__round_trip),
		cmocka_unit_test(report__add_rule__missing_id_is_item_error),
		cmocka_unit_test(report__builders__copy_every_string),
		cmocka_unit_test(report__note_event__range_sources_hours),
		cmocka_unit_test(report__sources__past_cap_go_to_other),
		cmocka_unit_test(report__top_principals__count_desc_then_name),
		cmocka_unit_test(report__now__source_date_epoch),
		cmocka_unit_test(report__order__level_then_rule_then_time),
		cmocka_unit_test(report__fails__only_at_or_above_fail_on),
		cmocka_unit_test(report__tables_charts__rows_and_series_kept),
		cmocka_unit_test(report__write_path__atomic_and_cleans_up),
		cmocka_unit_test(findings__same_group_within_window__merge),
		cmocka_unit_test(findings__past_window__new_finding),
		cmocka_unit_test(findings__keeps_event__agrees_with_add_hit),
		cmocka_unit_test(findings__long_strings_past_budget__abbreviated_and_counted),
		cmocka_unit_test(findings__other_group_or_rule__separate),
		cmocka_unit_test(findings__unknown_time__never_joins_by_time),
		cmocka_unit_test(findings__window_zero__every_hit_alone),
		cmocka_unit_test(findings__events_capped__rest_counted),
		cmocka_unit_test(findings__matches_capped__rest_counted),
		cmocka_unit_test(findings__max_findings__dropped_counted),
		cmocka_unit_test(findings__excerpt__context_and_mark),
		cmocka_unit_test(findings__excerpt__never_splits_utf8),
		cmocka_unit_test(findings__secret__redacted_unless_off),
		cmocka_unit_test(findings__secret__context_beside_match_is_masked),
		cmocka_unit_test(findings__redact__prefix_and_length),
		cmocka_unit_test(findings__event_rules__lookup_by_source_uid),
		cmocka_unit_test(findings__event_rules__by_seq_then_uid),
		cmocka_unit_test(strmap__insert_find_grow__insertion_order),
		cmocka_unit_test(strmap__cap__reports_full),
		cmocka_unit_test(report__counted_events__uids_resolved_after_replay),
		cmocka_unit_test(report__verdict__one_per_situation),
		cmocka_unit_test(report__verdict_reason__names_the_gate_and_what_is_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
