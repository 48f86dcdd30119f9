/*
 * period.c — the period per account and region, and its gaps (see period.h).
 *
 * Each key holds three growing arrays of unit numbers (hours or days since
 * the epoch), appended when a unit differs from the last one appended: the
 * replay comes in time order, so they stay sorted and distinct without a
 * search (a sort at the end makes any order safe). The gaps are set
 * differences of sorted arrays, in one merge each.
 */
#include "config.h"

#include "analyzers/audit/period.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ltime.h"
#include "model/strmap.h"

typedef struct units {
	int64_t *v;
	size_t n, alloc;
	bool full; /* PERIOD_MAX_UNITS reached */
} units;

typedef struct pkey {
	char account[64], region[64];
	int64_t first_us, last_us;
	uint64_t events[3]; /* cloudtrail, invocation, other */
	units ct_hours, inv_hours, ct_days;
} pkey;

struct period {
	pkey *k;
	size_t n, alloc;
	strmap *index; /* "account\0region" (as kept, cut to 63 bytes each) -> index in k + 1 */
};

period *period_new(void)
{
	period *p = calloc(1, sizeof(period));
	if (p != NULL && (p->index = strmap_new(PERIOD_MAX_KEYS)) == NULL) {
		free(p);
		p = NULL;
	}
	return p;
}

void period_free(period *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->k[i].ct_hours.v);
		free(p->k[i].inv_hours.v);
		free(p->k[i].ct_days.v);
	}
	free(p->k);
	strmap_free(p->index);
	free(p);
}

bool period_runtime_call(const event *ev)
{
	static const char *const names[] = {"InvokeModel", "InvokeModelWithResponseStream", "Converse",
	                                    "ConverseStream"};
	if (ev->source != EV_SRC_CLOUDTRAIL || !ev_str_eq(ev->service, "bedrock.amazonaws.com") || ev->error_code.n > 0)
		return false;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (ev_str_eq(ev->action, names[i]))
			return true;
	return false;
}

static void copy_name(char *dst, size_t cap, ev_str s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;
	if (n)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* The slot of ev's (account, region): one hash look-up per event, whatever
 * the number of pairs (at most PERIOD_MAX_KEYS; the last gathers the rest). */
static pkey *key_of(period *p, const event *ev)
{
	char account[64], region[64], key[sizeof account + sizeof region];
	copy_name(account, sizeof account, ev->account);
	copy_name(region, sizeof region, ev->region);
	if (p->n >= PERIOD_MAX_KEYS - 1 &&
	    strmap_find(p->index, key, (size_t)snprintf(key, sizeof key, "%s%c%s", account, 0, region)) == NULL) {
		snprintf(account, sizeof account, "(other)");
		region[0] = '\0';
	}
	size_t kn = (size_t)snprintf(key, sizeof key, "%s%c%s", account, 0, region);
	uint64_t *slot = strmap_slot(p->index, key, kn, true, NULL);
	if (slot == NULL)
		return NULL;
	if (*slot != 0)
		return &p->k[*slot - 1];
	if (p->n == p->alloc) {
		size_t na = p->alloc ? p->alloc * 2 : 8;
		pkey *nk = realloc(p->k, na * sizeof *nk);
		if (nk == NULL)
			return NULL;
		p->k = nk;
		p->alloc = na;
	}
	pkey *k = &p->k[p->n++];
	memset(k, 0, sizeof *k);
	memcpy(k->account, account, sizeof account);
	memcpy(k->region, region, sizeof region);
	k->first_us = INT64_MAX;
	k->last_us = INT64_MIN;
	*slot = p->n;
	return k;
}

static bool note(units *u, int64_t unit)
{
	if (u->n && u->v[u->n - 1] == unit)
		return true;
	if (u->n == PERIOD_MAX_UNITS) {
		u->full = true;
		return true;
	}
	if (u->n == u->alloc) {
		size_t na = u->alloc ? u->alloc * 2 : 16;
		int64_t *nv = realloc(u->v, na * sizeof *nv);
		if (nv == NULL)
			return false;
		u->v = nv;
		u->alloc = na;
	}
	u->v[u->n++] = unit;
	return true;
}

lt_status period_add(period *p, const event *ev, lt_error *err)
{
	if (ev->time_us == INT64_MIN)
		return LT_OK;
	pkey *k = key_of(p, ev);
	if (k == NULL)
		return lt_error_set(err, LT_EFATAL, "period: out of memory");
	if (ev->time_us < k->first_us)
		k->first_us = ev->time_us;
	if (ev->time_us > k->last_us)
		k->last_us = ev->time_us;
	int64_t hour = ltime_floor_div(ev->time_us, LTIME_HOUR_US), day = ltime_floor_div(ev->time_us, LTIME_DAY_US);
	bool ok = true;
	if (ev->source == EV_SRC_CLOUDTRAIL) {
		k->events[0]++;
		ok = note(&k->ct_days, day) && (!period_runtime_call(ev) || note(&k->ct_hours, hour));
	} else if (ev->source == EV_SRC_INVOCATION) {
		k->events[1]++;
		ok = note(&k->inv_hours, hour);
	} else {
		k->events[2]++;
	}
	return ok ? LT_OK : lt_error_set(err, LT_EFATAL, "period: out of memory");
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void sort_unique(units *u)
{
	if (u->n < 2)
		return;
	qsort(u->v, u->n, sizeof *u->v, cmp_i64);
	size_t k = 1;
	for (size_t i = 1; i < u->n; i++)
		if (u->v[i] != u->v[k - 1])
			u->v[k++] = u->v[i];
	u->n = k;
}

/* Unit labels: "2026-03-10T02" for hours, "2026-03-10" for days. */
typedef struct gaplist {
	char text[PERIOD_LIST][LTIME_BUFSZ];
	rpt_str v[PERIOD_LIST];
	size_t n;
	uint64_t count;
} gaplist;

static void gap(gaplist *g, int64_t unit, int64_t unit_us, size_t keep)
{
	if (g->n < PERIOD_LIST) {
		char t[LTIME_BUFSZ];
		ltime_format(unit * unit_us, 0, t);
		t[keep] = '\0';
		snprintf(g->text[g->n], sizeof g->text[g->n], "%s", t);
		g->v[g->n] = rpt_s(g->text[g->n]);
		g->n++;
	}
	g->count++;
}

/* Hours of a not in b (both sorted, distinct). */
static void silent_hours(const units *a, const units *b, gaplist *g)
{
	size_t j = 0;
	for (size_t i = 0; i < a->n; i++) {
		while (j < b->n && b->v[j] < a->v[i])
			j++;
		if (j == b->n || b->v[j] != a->v[i])
			gap(g, a->v[i], LTIME_HOUR_US, 13);
	}
}

/* Days in [first, last] not in days (sorted, distinct). */
static void dark_days(const units *days, int64_t first, int64_t last, gaplist *g)
{
	size_t j = 0;
	for (int64_t d = first; d <= last; d++) {
		while (j < days->n && days->v[j] < d)
			j++;
		if (j == days->n || days->v[j] != d)
			gap(g, d, LTIME_DAY_US, 10);
	}
}

lt_status period_add_to_report(period *p, report *r, lt_error *err)
{
	gaplist *g = calloc(2, sizeof *g);
	if (g == NULL)
		return lt_error_set(err, LT_EFATAL, "period: out of memory");
	lt_status st = LT_OK;
	for (size_t i = 0; i < p->n && st == LT_OK; i++) {
		pkey *k = &p->k[i];
		sort_unique(&k->ct_hours);
		sort_unique(&k->inv_hours);
		sort_unique(&k->ct_days);
		memset(g, 0, 2 * sizeof *g);
		silent_hours(&k->ct_hours, &k->inv_hours, &g[0]);
		dark_days(&k->ct_days, ltime_floor_div(k->first_us, LTIME_DAY_US), ltime_floor_div(k->last_us, LTIME_DAY_US), &g[1]);
		bool full = k->ct_hours.full || k->inv_hours.full || k->ct_days.full;
		rpt_period out = {
			.account = rpt_s(k->account),
			.region = rpt_s(k->region),
			.first_us = k->first_us,
			.last_us = k->last_us,
			.cloudtrail = k->events[0],
			.invocation = k->events[1],
			.other = k->events[2],
			.silent_hours = full ? UINT64_MAX : g[0].count,
			.dark_days = full ? UINT64_MAX : g[1].count,
			.silent_list = {full ? NULL : g[0].v, full ? 0 : g[0].n},
			.dark_list = {full ? NULL : g[1].v, full ? 0 : g[1].n},
		};
		st = report_add_period(r, &out, err);
	}
	free(g);
	return st;
}
