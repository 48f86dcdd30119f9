/*
 * test_incident.c — incident building (analyzers/audit/incident.c): grouping by
 * shared entities and time, what does not link (busy IPs, routine findings),
 * stages, levels, bounds; the price table; the request-id join.
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

#include "analyzers/audit/incident.h"
#include "model/report.h"

#define MIN_US (60LL * 1000000LL)
#define HOUR_US (60 * MIN_US)
#define T0 (1714564800LL * 1000000LL)

static size_t add_rule_tags(report *r, const char *pack, const char *id, rpt_level level,
                            const char *const *tags, size_t ntags)
{
	rpt_rule_in ri;
	memset(&ri, 0, sizeof ri);
	ri.pack = pack;
	ri.id = id;
	ri.title = id;
	ri.status = "test";
	ri.level = level;
	ri.tags = tags;
	ri.ntags = ntags;
	size_t idx = 99;
	assert_int_equal(report_add_rule(r, &ri, &idx, NULL), LT_OK);
	return idx;
}

static size_t add_rule(report *r, const char *pack, const char *id, rpt_level level, const char *tag)
{
	const char *tags[1] = {tag};
	return add_rule_tags(r, pack, id, level, tags, tag ? 1 : 0);
}

typedef struct actor {
	const char *principal, *key, *ip, *ua;
} actor;

static void hit(report *r, size_t rule, const actor *a, const char *uid, int64_t t)
{
	rpt_event_in e;
	rpt_event_init(&e);
	e.uid = rpt_s(uid);
	e.time_us = t;
	e.source = rpt_s("cloudtrail");
	e.principal = rpt_s(a->principal);
	e.access_key = rpt_s(a->key);
	e.source_ip = rpt_s(a->ip);
	e.user_agent = rpt_s(a->ua);
	rpt_pair g = {rpt_s("principal"), rpt_s(a->principal)};
	assert_int_equal(report_add_hit(r, rule, &g, 1, &e, NULL, 0, NULL), LT_OK);
}

static report *new_report(void)
{
	rpt_options o;
	rpt_options_default(&o);
	o.window_us = 0; /* every hit its own finding: the tests control grouping */
	report *r = report_new(&o);
	assert_non_null(r);
	return r;
}

static void build(report *r)
{
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(incident_build(r, NULL, &err), LT_OK);
}

static const actor mallory = {"arn:aws:iam::1:user/ci", "AKIAEXAMPLEKEY000001", "203.0.113.9", "Boto3/1.26"};
static const actor bob = {"arn:aws:iam::1:user/bob", "AKIAEXAMPLEKEY000002", "198.18.0.7", "aws-cli/2"};

static void incident__shared_key_within_gap__one_incident(void **state)
{
	(void)state;
	report *r = new_report();
	size_t enumr = add_rule(r, "llmjacking", "enum", RPT_LEVEL_MEDIUM, "attack.discovery");
	size_t inv = add_rule(r, "llmjacking", "inv", RPT_LEVEL_HIGH, "attack.t1496.004");
	hit(r, enumr, &mallory, "e1", T0);
	actor other_ip = mallory;
	other_ip.ip = "198.51.100.1"; /* same key, another IP: still the key's incident */
	hit(r, inv, &other_ip, "e2", T0 + 90 * MIN_US);
	hit(r, enumr, &bob, "e3", T0 + 10 * MIN_US);
	build(r);
	assert_int_equal(report_nincidents(r), 2);
	const rpt_incident *top = report_incident(r, 0);
	assert_int_equal(top->nfindings, 2);
	assert_int_equal(top->first_us, T0);
	assert_int_equal(top->last_us, T0 + 90 * MIN_US);
	assert_int_equal(top->source_ips.n, 2);
	assert_int_equal(top->access_keys.n, 1);
	assert_int_equal(top->stages.n, 2);
	assert_memory_equal(top->stages.v[0].p, "discovery", 9);
	assert_memory_equal(top->stages.v[1].p, "resource hijacking", 18);
	assert_int_equal(top->event_uids.n, 2);
	assert_true(top->next_steps.n >= 1);
	assert_non_null(memmem(top->next_steps.v[0].p, top->next_steps.v[0].n, "AKIAEXAMPLEKEY000001", 20));
	assert_true(top->risk > report_incident(r, 1)->risk);
	assert_true(report_finding(r, 0)->confidence > 0);
	assert_true(report_finding(r, 0)->level_reason.n > 0);
	report_free(r);
}

#define MONDAY_US (1714953600LL * 1000000LL) /* 2024-05-06 00:00 UTC */

/* A week of office hours (weekdays 09:00-17:00) of an actor, learned. */
static void learn_office_week(baseline *bl, const actor *a)
{
	for (int d = 0; d < 5; d++)
		for (int h = 9; h < 17; h++) {
			rpt_event_in e;
			rpt_event_init(&e);
			e.time_us = MONDAY_US + d * 24 * HOUR_US + h * HOUR_US;
			e.principal = rpt_s(a->principal);
			e.access_key = rpt_s(a->key);
			e.source_ip = rpt_s(a->ip);
			e.user_agent = rpt_s(a->ua);
			baseline_observe(bl, &e);
		}
}

static void learn_hit(report *r, baseline *bl, size_t rule, const actor *a, const char *uid, int64_t t)
{
	rpt_event_in e;
	rpt_event_init(&e);
	e.time_us = t;
	e.principal = rpt_s(a->principal);
	e.access_key = rpt_s(a->key);
	e.source_ip = rpt_s(a->ip);
	e.user_agent = rpt_s(a->ua);
	baseline_observe(bl, &e);
	hit(r, rule, a, uid, t);
}

/* Two incidents of equal risk: the one at an hour and from an IP unseen for
 * its principal ranks first with a baseline (without, the earlier one does);
 * its level and risk stay what they were and its reason says why. */
static void incident__unusual_hour_and_source__ranks_higher_same_level(void **state)
{
	(void)state;
	const actor alice = {"arn:aws:iam::1:user/alice", "AKIAEXAMPLEKEY000003", "198.51.100.20", "Boto3/1.34"};
	actor alice_away = alice;
	alice_away.ip = "203.0.113.47";
	for (int with_baseline = 0; with_baseline < 2; with_baseline++) {
		report *r = new_report();
		baseline *bl = baseline_new();
		assert_non_null(bl);
		learn_office_week(bl, &alice);
		learn_office_week(bl, &bob);
		size_t rule = add_rule(r, "abuse", "burst", RPT_LEVEL_MEDIUM, "attack.t1496.004");
		learn_hit(r, bl, rule, &bob, "b1", MONDAY_US + 3 * 24 * HOUR_US + 10 * HOUR_US);     /* Thu 10:00 */
		learn_hit(r, bl, rule, &alice_away, "a1", MONDAY_US + 4 * 24 * HOUR_US + 3 * HOUR_US); /* Fri 03:00 */
		incident_options o = {0, NULL, NULL, with_baseline ? bl : NULL};
		lt_error err;
		lt_error_clear(&err);
		assert_int_equal(incident_build(r, &o, &err), LT_OK);
		assert_int_equal(report_nincidents(r), 2);
		const rpt_incident *top = report_incident(r, 0), *second = report_incident(r, 1);
		assert_int_equal(top->level, second->level);
		assert_true(top->risk == second->risk);
		const char *want = with_baseline ? alice.principal : bob.principal;
		assert_int_equal(top->principals.v[0].n, strlen(want));
		assert_memory_equal(top->principals.v[0].p, want, strlen(want));
		bool said = memmem(top->level_reason.p, top->level_reason.n, "at an hour unseen", 17) != NULL;
		assert_true(said == (with_baseline == 1));
		assert_null(memmem(second->level_reason.p, second->level_reason.n, "at an hour", 10));
		baseline_free(bl);
		report_free(r);
	}
}

static void incident__same_key_past_gap__two_incidents(void **state)
{
	(void)state;
	report *r = new_report();
	size_t rule = add_rule(r, "tampering", "x", RPT_LEVEL_MEDIUM, "attack.defense-evasion");
	hit(r, rule, &mallory, "e1", T0);
	hit(r, rule, &mallory, "e2", T0 + INCIDENT_GAP_US + MIN_US);
	build(r);
	assert_int_equal(report_nincidents(r), 2);
	report_free(r);
}

static void incident__ip_shared_by_many_principals__links_nothing(void **state)
{
	(void)state;
	report *r = new_report();
	size_t rule = add_rule(r, "tampering", "x", RPT_LEVEL_MEDIUM, "attack.defense-evasion");
	char who[INCIDENT_COMMON_PRINCIPALS + 1][64], uid[INCIDENT_COMMON_PRINCIPALS + 1][16];
	for (int i = 0; i <= INCIDENT_COMMON_PRINCIPALS; i++) {
		snprintf(who[i], sizeof who[i], "arn:aws:iam::1:user/u%d", i);
		snprintf(uid[i], sizeof uid[i], "e%d", i);
		actor a = {who[i], NULL, "10.0.0.1", NULL}; /* one NAT for everyone */
		hit(r, rule, &a, uid[i], T0 + i * MIN_US);
	}
	build(r);
	assert_int_equal(report_nincidents(r), INCIDENT_COMMON_PRINCIPALS + 1);
	report_free(r);
}

static void incident__routine_finding__scored_down_and_apart(void **state)
{
	(void)state;
	report *r = new_report();
	size_t noisy = add_rule(r, "abuse", "noisy", RPT_LEVEL_MEDIUM, "attack.defense-evasion");
	size_t real = add_rule(r, "tampering", "real", RPT_LEVEL_MEDIUM, "attack.defense-evasion");
	char uid[8][8];
	for (int i = 0; i < INCIDENT_ROUTINE_MIN; i++) {
		snprintf(uid[i], sizeof uid[i], "n%d", i);
		hit(r, noisy, &bob, uid[i], T0 + i * 24 * HOUR_US);
	}
	hit(r, real, &bob, "r1", T0 + 5 * MIN_US);
	build(r);
	const rpt_incident *top = report_incident(r, 0);
	assert_int_equal(top->nfindings, 1); /* the routine finding beside it did not join */
	assert_int_equal(report_finding(r, top->findings[0])->rule, real);
	const rpt_finding *routine = report_finding(r, 0);
	assert_true(routine->confidence < report_finding(r, top->findings[0])->confidence);
	assert_non_null(memmem(routine->level_reason.p, routine->level_reason.n, "routine", 7));
	report_free(r);
}

/* One actor (one key, one IP) repeating one low finding every 61 minutes
 * (past the 30-minute gap of low findings) is one recurring incident with
 * its first and last time, count and period; another actor's recurrence of
 * the same rule, interleaved in time, is its own incident, and the first
 * actor's medium finding in the middle stays apart from its habit. */
static void incident__recurring_actor__one_incident_per_actor(void **state)
{
	(void)state;
	report *r = new_report();
	size_t probe = add_rule(r, "aws", "probe", RPT_LEVEL_LOW, "attack.discovery");
	size_t tamper = add_rule(r, "tampering", "tamper", RPT_LEVEL_MEDIUM, "attack.defense-evasion");
	enum { N = 1000 };
	static char uid[2 * N + 1][16];
	for (int i = 0; i < N; i++) {
		snprintf(uid[i], sizeof uid[i], "m%d", i);
		hit(r, probe, &mallory, uid[i], T0 + i * 61 * MIN_US);
		if (i < 40) {
			snprintf(uid[N + i], sizeof uid[N + i], "b%d", i);
			hit(r, probe, &bob, uid[N + i], T0 + 7 * MIN_US + i * 24 * HOUR_US);
		}
	}
	hit(r, tamper, &mallory, "t1", T0 + 500 * 61 * MIN_US + 20 * MIN_US);
	build(r);
	assert_int_equal(report_nincidents(r), 3);
	size_t seen = 0;
	for (size_t k = 0; k < report_nincidents(r); k++) {
		const rpt_incident *in = report_incident(r, k);
		const rpt_finding *f0 = report_finding(r, in->findings[0]);
		if (f0->rule == tamper) {
			assert_int_equal(in->nfindings, 1);
			seen |= 1;
		} else if (in->principals.v[0].n == strlen(mallory.principal) &&
		           memcmp(in->principals.v[0].p, mallory.principal, in->principals.v[0].n) == 0) {
			assert_int_equal(in->nfindings, N);
			assert_int_equal(in->first_us, T0);
			assert_int_equal(in->last_us, T0 + (N - 1) * 61 * MIN_US);
			assert_int_equal(in->level, RPT_LEVEL_LOW);
			assert_non_null(memmem(in->level_reason.p, in->level_reason.n, "recurring: 1000 findings", 24));
			assert_non_null(memmem(in->level_reason.p, in->level_reason.n, "every 61 min", 12));
			assert_int_equal(in->principals.n, 1);
			seen |= 2;
		} else {
			assert_int_equal(in->nfindings, 40);
			assert_int_equal(in->principals.n, 1);
			assert_memory_equal(in->principals.v[0].p, bob.principal, strlen(bob.principal));
			assert_non_null(memmem(in->level_reason.p, in->level_reason.n, "every 24 h", 10));
			seen |= 4;
		}
	}
	assert_int_equal(seen, 7);
	report_free(r);
}

/* A habit does not absorb: an admin's low finding every day (one recurring
 * set) and the same admin's medium key rotation every ten days, each five
 * minutes after that day's low finding (routine too: three of one rule and
 * group). The rotations stay out of the habit's incident, whose level stays
 * low (they used to link to the day's low finding by time and be merged with
 * the whole set: one medium incident of routine findings). */
static void incident__recurring_actor__does_not_absorb_routine_medium(void **state)
{
	(void)state;
	report *r = new_report();
	size_t probe = add_rule(r, "aws", "probe", RPT_LEVEL_LOW, "attack.discovery");
	size_t rotate = add_rule(r, "aws", "rotate", RPT_LEVEL_MEDIUM, "attack.persistence");
	enum { DAYS = 30 };
	static char uid[DAYS + 3][8];
	for (int d = 0; d < DAYS; d++) {
		snprintf(uid[d], sizeof uid[d], "p%d", d);
		hit(r, probe, &bob, uid[d], T0 + d * 24 * HOUR_US);
	}
	for (int k = 0; k < 3; k++) {
		snprintf(uid[DAYS + k], sizeof uid[DAYS + k], "k%d", k);
		hit(r, rotate, &bob, uid[DAYS + k], T0 + (10 * k + 1) * 24 * HOUR_US + 5 * MIN_US);
	}
	build(r);
	bool habit = false;
	for (size_t i = 0; i < report_nincidents(r); i++) {
		const rpt_incident *in = report_incident(r, i);
		bool has_probe = false, has_rotate = false;
		for (size_t k = 0; k < in->nfindings; k++) {
			size_t rule = report_finding(r, in->findings[k])->rule;
			has_probe = has_probe || rule == probe;
			has_rotate = has_rotate || rule == rotate;
		}
		assert_false(has_probe && has_rotate);
		if (has_probe) {
			habit = true;
			assert_int_equal(in->nfindings, DAYS);
			assert_int_equal(in->level, RPT_LEVEL_LOW);
		}
	}
	assert_true(habit);
	report_free(r);
}

/* A key's daily low finding from its office network is its habit; the
 * same rule for the same key from a network and client family both unseen
 * for it (a leaked key) is not merged into that habit: it stays its own. */
static void incident__recurring_actor__novel_source_stays_apart(void **state)
{
	(void)state;
	report *r = new_report();
	baseline *bl = baseline_new();
	assert_non_null(bl);
	size_t probe = add_rule(r, "aws", "probe", RPT_LEVEL_LOW, "attack.discovery");
	static char uid[12][8];
	for (int d = 0; d < 10; d++) {
		snprintf(uid[d], sizeof uid[d], "d%d", d);
		learn_hit(r, bl, probe, &mallory, uid[d], MONDAY_US + d * 24 * HOUR_US + 10 * HOUR_US);
	}
	actor leaked = mallory;
	leaked.ip = "192.0.2.66";
	leaked.ua = "python-requests/2.31";
	learn_hit(r, bl, probe, &leaked, "x1", MONDAY_US + 10 * 24 * HOUR_US + 3 * HOUR_US);
	incident_options o = {0, NULL, NULL, bl};
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(incident_build(r, &o, &err), LT_OK);
	assert_int_equal(report_nincidents(r), 2);
	bool alone = false;
	for (size_t k = 0; k < report_nincidents(r); k++) {
		const rpt_incident *in = report_incident(r, k);
		if (in->nfindings == 1) {
			alone = true;
			assert_memory_equal(in->source_ips.v[0].p, "192.0.2.66", 10);
			const rpt_finding *f = report_finding(r, in->findings[0]);
			assert_non_null(memmem(f->level_reason.p, f->level_reason.n, "confidence raised", 17));
		} else {
			assert_int_equal(in->nfindings, 10);
		}
	}
	assert_true(alone);
	baseline_free(bl);
	report_free(r);
}

/* Many distinct low findings of one actor over several stages: routine
 * evidence adds up with diminishing returns and alone makes a low incident. */
static void incident__many_low_findings__stay_low(void **state)
{
	(void)state;
	report *r = new_report();
	static const char *const tags[] = {"attack.discovery", "attack.initial-access", "attack.t1496",
	                                   "attack.execution"};
	char id[16][8], uid[16][8];
	for (int i = 0; i < 16; i++) {
		snprintf(id[i], sizeof id[i], "low%d", i);
		snprintf(uid[i], sizeof uid[i], "l%d", i);
		size_t rule = add_rule(r, "llmjacking", id[i], RPT_LEVEL_LOW, tags[i % 4]);
		hit(r, rule, &bob, uid[i], T0 + i * MIN_US);
	}
	build(r);
	assert_int_equal(report_nincidents(r), 1);
	const rpt_incident *in = report_incident(r, 0);
	assert_int_equal(in->nfindings, 16);
	assert_int_equal(in->level, RPT_LEVEL_LOW);
	assert_true(in->risk < INCIDENT_RISK_HIGH);
	report_free(r);
}

/* One medium finding and many low ones: the low ones do not lift it to high. */
static void incident__medium_with_many_lows__stays_medium(void **state)
{
	(void)state;
	report *r = new_report();
	size_t med = add_rule(r, "llmjacking", "med", RPT_LEVEL_MEDIUM, "attack.t1496");
	hit(r, med, &bob, "m1", T0);
	static const char *const tags[] = {"attack.discovery", "attack.initial-access", "attack.execution"};
	char id[12][8], uid[12][8];
	for (int i = 0; i < 12; i++) {
		snprintf(id[i], sizeof id[i], "low%d", i);
		snprintf(uid[i], sizeof uid[i], "l%d", i);
		size_t rule = add_rule(r, "llmjacking", id[i], RPT_LEVEL_LOW, tags[i % 3]);
		hit(r, rule, &bob, uid[i], T0 + (i + 1) * MIN_US);
	}
	build(r);
	assert_int_equal(report_nincidents(r), 1);
	assert_int_equal(report_incident(r, 0)->level, RPT_LEVEL_MEDIUM);
	report_free(r);
}

/* Low findings that make a progression by one actor (discovery, then defense
 * evasion, then an objective) make a medium incident; the same stages spread
 * over two principals (linked by a shared address) stay low. */
static void incident__low_progression__medium_only_for_one_actor(void **state)
{
	(void)state;
	report *r = new_report();
	size_t d = add_rule(r, "llmjacking", "d", RPT_LEVEL_LOW, "attack.discovery");
	size_t e = add_rule(r, "tampering", "e", RPT_LEVEL_LOW, "attack.defense-evasion");
	size_t o = add_rule(r, "llmjacking", "o", RPT_LEVEL_LOW, "attack.t1496");
	hit(r, d, &mallory, "a1", T0);
	hit(r, e, &mallory, "a2", T0 + 5 * MIN_US);
	hit(r, o, &mallory, "a3", T0 + 10 * MIN_US);
	actor b1 = bob, b2 = {"arn:aws:iam::1:user/carol", "AKIAEXAMPLEKEY000003", "198.18.0.7", "aws-cli/2"};
	hit(r, d, &b1, "b1", T0 + 4 * HOUR_US);
	hit(r, e, &b2, "b2", T0 + 4 * HOUR_US + 5 * MIN_US);
	hit(r, o, &b1, "b3", T0 + 4 * HOUR_US + 10 * MIN_US);
	build(r);
	assert_int_equal(report_nincidents(r), 2);
	const rpt_incident *one = report_incident(r, 0), *two = report_incident(r, 1);
	assert_int_equal(one->nfindings, 3);
	assert_int_equal(two->nfindings, 3);
	assert_int_equal(one->level, RPT_LEVEL_MEDIUM);
	assert_int_equal(one->principals.n, 1);
	assert_int_equal(two->level, RPT_LEVEL_LOW);
	assert_non_null(memmem(one->level_reason.p, one->level_reason.n, "progression", 11));
	report_free(r);
}

/* A rule tagged as an effect (RPT_TAG_EFFECT: calls left unlogged after
 * someone deleted the logging) shows what was done to its events'
 * principals, not what they did: it does not make their progression. */
static void incident__effect_finding__no_progression(void **state)
{
	(void)state;
	report *r = new_report();
	size_t d = add_rule(r, "llmjacking", "d", RPT_LEVEL_LOW, "attack.discovery");
	const char *tags[2] = {"attack.defense-evasion", RPT_TAG_EFFECT};
	size_t e = add_rule_tags(r, "builtin", "unlogged-calls", RPT_LEVEL_LOW, tags, 2);
	size_t o = add_rule(r, "llmjacking", "o", RPT_LEVEL_LOW, "attack.t1496");
	hit(r, d, &bob, "b1", T0);
	hit(r, e, &bob, "b2", T0 + 5 * MIN_US);
	hit(r, o, &bob, "b3", T0 + 10 * MIN_US);
	build(r);
	assert_int_equal(report_nincidents(r), 1);
	const rpt_incident *one = report_incident(r, 0);
	assert_int_equal(one->nfindings, 3);
	assert_int_equal(one->level, RPT_LEVEL_LOW);
	assert_null(memmem(one->level_reason.p, one->level_reason.n, "progression", 11));
	report_free(r);
}

static void incident__chain_with_objective__critical(void **state)
{
	(void)state;
	report *r = new_report();
	size_t a = add_rule(r, "llmjacking", "a", RPT_LEVEL_MEDIUM, "attack.discovery");
	size_t b = add_rule(r, "tampering", "b", RPT_LEVEL_HIGH, "attack.defense-evasion");
	size_t c = add_rule(r, "llmjacking", "c", RPT_LEVEL_HIGH, "attack.t1496");
	hit(r, a, &mallory, "e1", T0);
	hit(r, b, &mallory, "e2", T0 + MIN_US);
	hit(r, c, &mallory, "e3", T0 + 2 * MIN_US);
	build(r);
	assert_int_equal(report_nincidents(r), 1);
	assert_int_equal(report_incident(r, 0)->level, RPT_LEVEL_CRITICAL);
	report_free(r);
}

static void incident__synthetic_bucket__does_not_stretch_span(void **state)
{
	(void)state;
	report *r = new_report();
	size_t real = add_rule(r, "llmjacking", "real", RPT_LEVEL_HIGH, "attack.t1496");
	size_t bucket = add_rule(r, "builtin", "llmtrail-anomaly-x", RPT_LEVEL_MEDIUM, "attack.impact");
	hit(r, real, &mallory, "e1", T0 + 7 * MIN_US);
	rpt_event_in e;
	rpt_event_init(&e);
	e.uid = rpt_s("hour");
	e.source = rpt_s("metrics");
	e.time_us = T0; /* the hour's start */
	e.principal = rpt_s(mallory.principal);
	rpt_pair g = {rpt_s("principal"), rpt_s(mallory.principal)};
	assert_int_equal(report_add_hit(r, bucket, &g, 1, &e, NULL, 0, NULL), LT_OK);
	build(r);
	assert_int_equal(report_nincidents(r), 1);
	assert_int_equal(report_incident(r, 0)->first_us, T0 + 7 * MIN_US);
	report_free(r);
}

static void incident__stage_of_tag__attack_atlas_and_none(void **state)
{
	(void)state;
	assert_string_equal(incident_stage_of_tag(rpt_s("attack.defense-evasion")), "defense evasion");
	assert_string_equal(incident_stage_of_tag(rpt_s("attack.t1496.004")), "resource hijacking");
	assert_string_equal(incident_stage_of_tag(rpt_s("atlas.aml.t0057")), "exfiltration");
	assert_null(incident_stage_of_tag(rpt_s("attack.t1552")));
	assert_null(incident_stage_of_tag(rpt_s("owasp.llm01")));
	assert_null(incident_stage_of_tag(rpt_s("attack.no-such-tactic")));
}

static void hit_source(report *r, size_t rule, const char *source, const char *action, const char *uid, int64_t t)
{
	rpt_event_in e;
	rpt_event_init(&e);
	e.uid = rpt_s(uid);
	e.time_us = t;
	e.source = rpt_s(source);
	e.action = rpt_s(action);
	e.principal = rpt_s(mallory.principal);
	rpt_pair g = {rpt_s("principal"), rpt_s(mallory.principal)};
	assert_int_equal(report_add_hit(r, rule, &g, 1, &e, NULL, 0, NULL), LT_OK);
}

static bool has_stage(const rpt_incident *in, const char *name)
{
	for (size_t i = 0; i < in->stages.n; i++)
		if (in->stages.v[i].n == strlen(name) && memcmp(in->stages.v[i].p, name, in->stages.v[i].n) == 0)
			return true;
	return false;
}

/* A jailbreak prompt is tagged privilege escalation by ATLAS (AML.T0054)
 * and persistence by a careless rule: what a model conversation shows is
 * execution, not an escalation or a foothold in the account. */
static void incident__prompt_finding__stages_the_events_show(void **state)
{
	(void)state;
	report *r = new_report();
	const char *jail[] = {"atlas.aml.t0051.000", "atlas.aml.t0054", "owasp.llm01"};
	const char *stay[] = {"attack.persistence", "attack.privilege-escalation"};
	size_t a = add_rule_tags(r, "prompt-misuse", "jail", RPT_LEVEL_HIGH, jail, 3);
	size_t b = add_rule_tags(r, "prompt-misuse", "stay", RPT_LEVEL_HIGH, stay, 2);
	hit_source(r, a, "invocation", "Converse", "e1", T0);
	hit_source(r, b, "cloudtrail", "InvokeModel", "e2", T0 + MIN_US);
	build(r);
	assert_int_equal(report_nincidents(r), 1);
	const rpt_incident *in = report_incident(r, 0);
	assert_int_equal(in->stages.n, 1);
	assert_true(has_stage(in, "execution"));
	report_free(r);
}

/* The same tactic on a control-plane call stays: the call is the change. */
static void incident__control_plane_finding__keeps_tagged_stage(void **state)
{
	(void)state;
	report *r = new_report();
	const char *stay[] = {"attack.persistence", "attack.t1098"};
	size_t a = add_rule_tags(r, "tampering", "new-key", RPT_LEVEL_HIGH, stay, 2);
	hit_source(r, a, "cloudtrail", "CreateAccessKey", "e1", T0);
	build(r);
	assert_true(has_stage(report_incident(r, 0), "persistence"));
	report_free(r);
}

static char *write_tmp(const char *text)
{
	static char path[] = "/tmp/llmtrail-prices-XXXXXX";
	strcpy(path, "/tmp/llmtrail-prices-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void incident__prices__profile_and_arn_found(void **state)
{
	(void)state;
	char *path = write_tmp("# version: 7\n# date: 2026-01-02\nanthropic.claude-x-v1:0\t3.00\t15\n");
	incident_prices *p = NULL;
	lt_error err;
	assert_int_equal(incident_prices_load(path, &p, &err), LT_OK);
	unlink(path);
	double in = 0, out = 0;
	assert_true(incident_prices_find(p, rpt_s("anthropic.claude-x-v1:0"), &in, &out));
	assert_true(in == 3.0 && out == 15.0);
	assert_true(incident_prices_find(p, rpt_s("us.anthropic.claude-x-v1:0"), &in, &out));
	assert_true(incident_prices_find(
		p, rpt_s("arn:aws:bedrock:us-east-1:1:inference-profile/eu.anthropic.claude-x-v1:0"), &in, &out));
	assert_false(incident_prices_find(p, rpt_s("meta.other"), &in, &out));
	assert_non_null(strstr(incident_prices_label(p), "version 7 (2026-01-02)"));
	incident_prices_free(p);
}

static void incident__prices__bad_row_names_line(void **state)
{
	(void)state;
	char *path = write_tmp("# ok\nmodel\tabc\t1\n");
	incident_prices *p = NULL;
	lt_error err;
	lt_error_clear(&err);
	assert_int_equal(incident_prices_load(path, &p, &err), LT_EITEM);
	unlink(path);
	assert_null(p);
	assert_non_null(strstr(err.msg, ":2:"));
	assert_int_equal(incident_prices_load("/nonexistent/prices.tsv", &p, &err), LT_EFILE);
}

static rpt_event_in join_ev(const char *source, const char *rid, int64_t t)
{
	rpt_event_in e;
	rpt_event_init(&e);
	e.source = rpt_s(source);
	e.service = rpt_s(strcmp(source, "cloudtrail") == 0 ? "bedrock.amazonaws.com" : "bedrock");
	e.request_id = rpt_s(rid);
	e.time_us = t;
	if (strcmp(source, "cloudtrail") == 0) {
		e.source_ip = rpt_s("203.0.113.9");
		e.user_agent = rpt_s("Boto3/1.26");
		e.access_key = rpt_s("AKIAEXAMPLEKEY000001");
	}
	return e;
}

static void incident__join__record_gets_caller_either_order(void **state)
{
	(void)state;
	incident_join *j = incident_join_new();
	assert_non_null(j);
	lt_error err;
	rpt_event_in call = join_ev("cloudtrail", "r1", T0);
	assert_int_equal(incident_join_event(j, &call, &err), LT_OK);
	rpt_event_in rec = join_ev("invocation", "r1", T0 + 1000);
	assert_int_equal(incident_join_event(j, &rec, &err), LT_OK);
	assert_true(rec.caller_joined);
	assert_int_equal(rec.source_ip.n, strlen("203.0.113.9"));
	/* the record first, its call later: found after the replay */
	rpt_event_in rec2 = join_ev("invocation", "r2", T0 + 2000);
	assert_int_equal(incident_join_event(j, &rec2, &err), LT_OK);
	assert_false(rec2.caller_joined);
	rpt_event_in call2 = join_ev("cloudtrail", "r2", T0 + 3000);
	assert_int_equal(incident_join_event(j, &call2, &err), LT_OK);
	rpt_str ip, ua, key;
	assert_true(incident_join_late(j, rpt_s("r2"), &ip, &ua, &key));
	assert_memory_equal(key.p, "AKIAEXAMPLEKEY000001", 20);
	/* past two horizons a call is forgotten */
	rpt_event_in far = join_ev("invocation", "r1", T0 + 3 * INCIDENT_JOIN_HORIZON_US);
	assert_int_equal(incident_join_event(j, &far, &err), LT_OK);
	assert_false(far.caller_joined);
	uint64_t joined, unjoined;
	incident_join_counts(j, &joined, &unjoined);
	assert_int_equal(joined, 2);
	assert_int_equal(unjoined, 1);
	incident_join_free(j);
}

static void incident__no_findings__no_incidents(void **state)
{
	(void)state;
	report *r = new_report();
	build(r);
	assert_int_equal(report_nincidents(r), 0);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(incident__shared_key_within_gap__one_incident),
		cmocka_unit_test(incident__unusual_hour_and_source__ranks_higher_same_level),
		cmocka_unit_test(incident__same_key_past_gap__two_incidents),
		cmocka_unit_test(incident__ip_shared_by_many_principals__links_nothing),
		cmocka_unit_test(incident__routine_finding__scored_down_and_apart),
		cmocka_unit_test(incident__recurring_actor__one_incident_per_actor),
		cmocka_unit_test(incident__recurring_actor__novel_source_stays_apart),
		cmocka_unit_test(incident__recurring_actor__does_not_absorb_routine_medium),
		cmocka_unit_test(incident__many_low_findings__stay_low),
		cmocka_unit_test(incident__medium_with_many_lows__stays_medium),
		cmocka_unit_test(incident__low_progression__medium_only_for_one_actor),
		cmocka_unit_test(incident__effect_finding__no_progression),
		cmocka_unit_test(incident__chain_with_objective__critical),
		cmocka_unit_test(incident__synthetic_bucket__does_not_stretch_span),
		cmocka_unit_test(incident__stage_of_tag__attack_atlas_and_none),
		cmocka_unit_test(incident__prompt_finding__stages_the_events_show),
		cmocka_unit_test(incident__control_plane_finding__keeps_tagged_stage),
		cmocka_unit_test(incident__prices__profile_and_arn_found),
		cmocka_unit_test(incident__prices__bad_row_names_line),
		cmocka_unit_test(incident__join__record_gets_caller_either_order),
		cmocka_unit_test(incident__no_findings__no_incidents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
