/*
 * reconcile.c — CloudTrail <-> invocation-log join and coverage gaps (see
 * reconcile.h, docs/integrity.md).
 *
 * Events are read once, through a headers-only replay (store/replay.h) in
 * (time, source, uid) order; nothing here queries the events of the index
 * with SQL. During that pass:
 *   - the CloudTrail runtime calls and the invocation records stream through
 *     the join of recjoin.h (strong matches by request id as they come, weak
 *     matches once no strong counterpart can come any more; bounded by
 *     RECONCILE_HORIZON_US of event time and RECONCILE_MAX_PENDING items);
 *     what it hands back is counted, and its unmatched items kept; the calls
 *     that switch a source off are kept beside (time order);
 *   - per account/region and side, the matched items are counted as they
 *     leave the join (in time order): each unmatched item keeps the count of
 *     matched ones before its time and up to it, so a window's "matched" is
 *     a difference of two counts, with no table of the matched ones;
 *   - per series (source, account, region) an hourly count array and the
 *     stretches of at least RECONCILE_GAP_MIN_US without a record are kept.
 * Records are named by their ordinal in the replay order (1-based); the
 * tie-break among records of the same time is (member id, offset), the
 * order in which the indexer stored them.
 * The unmatched calls and records are sorted by account, region and time,
 * and cut into windows.
 * A stretch is a gap when a day or longer, or when (a) the quieter of the
 * hour before and the hour after predicts at least RECONCILE_GAP_POISSON records in it
 * (P(none) <= e^-10) and (b) on the other days of the series the same clock
 * hours had records at least RECONCILE_GAP_EXPECTED of the time (or there is
 * no other day to ask). The hourly counts bound (a) from above, so only the
 * stretches that may pass are counted exactly, each by a replay of the two
 * hours around it.
 * The report reads the unmatched records back with one headers-only replay
 * over the span of the record windows.
 */
#include "config.h"
#include "common/sort.h"

#include "analyzers/audit/reconcile.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/audit/builtin_rules.h"
#include "common/arena.h"
#include "common/ltime.h"
#include "ingest/json.h"
#include "model/strmap.h"
#include "analyzers/audit/recjoin.h"
#include "common/grow.h"
#include "common/log.h"
#include "common/uuid.h"
#include "store/recq.h"
#include "store/replay.h"

#define MAX_SERIES 1000 /* (source, account, region) series judged for gaps */
#define MAX_GAP_CANDIDATES 100000
#define MAX_HOURS (24 * 366 * 3)

/* Strings (principal, account, region, model) are interned in the result's
 * arena: equal strings are the same pointer, "" stands for absent. */
typedef struct rec {
	int64_t id, time_us, member_id, offset, rank;
	const char *principal, *account, *region, *model;
	int has_error;
	size_t mlt, mle;   /* matched items of its side and account/region before its time, and up to it */
	int64_t next_pend; /* see side_count */
} rec;

typedef struct win_ex {
	reconcile_window pub;
	size_t first_id; /* index into ids */
} win_ex;

struct reconcile_result {
	arena *a;
	reconcile_summary sum;
	int applicable;
	win_ex *w;
	size_t nw, aw;
	int64_t *ids;
	size_t nids, aids;
	reconcile_window *out;
	/* the record windows' span, and the ordinal of the first event at hit_from_us */
	int64_t hit_from_us, hit_until_us, hit_base;
};

void reconcile_options_init(reconcile_options *o)
{
	o->claimed_from_us = INT64_MIN;
	o->claimed_until_us = INT64_MAX;
}

void reconcile_result_free(reconcile_result *r)
{
	if (r == NULL)
		return;
	arena_free(r->a);
	free(r->w);
	free(r->ids);
	free(r->out);
	free(r);
}

const reconcile_summary *reconcile_get_summary(const reconcile_result *r)
{
	return &r->sum;
}

size_t reconcile_nwindows(const reconcile_result *r)
{
	return r->nw;
}

const reconcile_window *reconcile_window_at(const reconcile_result *r, size_t i)
{
	return &r->out[i];
}

int reconcile_applicable(const reconcile_result *r)
{
	return r->applicable;
}

/* The interned copy of p[0..n) ("" when empty); NULL out of memory. */
static const char *intern(reconcile_result *r, strmap *m, const char *p, size_t n)
{
	if (p == NULL || n == 0)
		return "";
	uint64_t *slot = strmap_slot(m, p, n, true, NULL);
	if (slot == NULL)
		return NULL;
	if (*slot == 0) {
		char *d = arena_strndup(r->a, p, n);
		if (d == NULL)
			return NULL;
		*slot = (uint64_t)(uintptr_t)d;
	}
	return (const char *)(uintptr_t)*slot;
}

static const char *const ct_off_actions[] = {"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"};
static const char *const inv_off_actions[] = {"DeleteModelInvocationLoggingConfiguration",
                                              "PutModelInvocationLoggingConfiguration"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the join's results ------------------------------------------------------ */

typedef struct recs {
	rec *v;
	size_t n, alloc;
} recs;

/* Matched items per account/region and side (0 calls, 1 records), counted as
 * the join emits them (per side in time order): a window's matched count is
 * the prefix count at its last record less the one before its first. */
typedef struct side_count {
	size_t total;   /* matched so far */
	size_t base;    /* matched with a time before cur_us */
	int64_t cur_us; /* time of the last item emitted */
	int64_t pend;   /* unmatched items of cur_us whose mle is not known yet (index in recs, -1 none) */
	bool started;
} side_count;

typedef struct mseries {
	side_count side[2];
	int64_t first_matched_rec_us; /* INT64_MAX: none */
} mseries;

/* A call that may switch a source off (action: one of the static names below). */
typedef struct ctlcall {
	int64_t id, time_us;
	const char *account, *action;
} ctlcall;

typedef struct joined {
	strmap *smap; /* (account, region) pointers -> index + 1 in s */
	mseries *s;
	size_t ns, as;
	ctlcall *ctl;
	size_t nctl, actl;
	recs ct, inv; /* unmatched calls and records */
} joined;

static mseries *mseries_of(joined *j, const char *account, const char *region, bool create)
{
	const char *key[2] = {account, region};
	uint64_t *v = strmap_slot(j->smap, key, sizeof key, create, NULL);
	if (v == NULL)
		return NULL;
	if (*v == 0) {
		mseries *nv = lt_grow(j->s, &j->as, j->ns, sizeof *nv, 16);
		if (nv == NULL)
			return NULL;
		j->s = nv;
		mseries *m = &j->s[j->ns];
		memset(m, 0, sizeof *m);
		m->side[0].pend = m->side[1].pend = -1;
		m->first_matched_rec_us = INT64_MAX;
		*v = ++j->ns;
	}
	return &j->s[*v - 1];
}

static void resolve_pending(side_count *sc, recs *list)
{
	for (int64_t i = sc->pend; i >= 0; i = list->v[i].next_pend)
		list->v[i].mle = sc->total;
	sc->pend = -1;
}

/* Matched calls (calls true) or records of account/region with from <= time <= to, for a
 * window whose first and last unmatched items are f and l. */
static size_t matched_in(const rec *f, const rec *l)
{
	return l->mle - f->mlt;
}

static bool named(const char *action, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (action == names[i])
			return true;
	return false;
}

/* The first control call at or after time from (binary search; the calls are in replay order). */
static size_t ctl_from(const joined *j, int64_t from)
{
	size_t a = 0, b = j->nctl;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (j->ctl[m].time_us < from)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

/* The latest call of account in [from, to] that switches CloudTrail (cloudtrail true:
 * StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors) or invocation logging
 * (Delete/Put ModelInvocationLoggingConfiguration) off; NULL when none. */
static const ctlcall *switch_off(const joined *j, bool cloudtrail, const char *account, int64_t from, int64_t to)
{
	const char *const *names = cloudtrail ? ct_off_actions : inv_off_actions;
	size_t n = cloudtrail ? NELEM(ct_off_actions) : NELEM(inv_off_actions);
	if (from > to)
		return NULL;
	size_t lo = ctl_from(j, from), hi = to == INT64_MAX ? j->nctl : ctl_from(j, to + 1);
	for (size_t i = hi; i > lo; i--)
		if (j->ctl[i - 1].account == account && named(j->ctl[i - 1].action, names, n))
			return &j->ctl[i - 1];
	return NULL;
}

/* The earliest invocation-logging configuration call of account in [from, to]; NULL when none. */
static const ctlcall *logging_call_after(const joined *j, const char *account, int64_t from, int64_t to)
{
	if (from > to)
		return NULL;
	size_t hi = to == INT64_MAX ? j->nctl : ctl_from(j, to + 1);
	for (size_t i = ctl_from(j, from); i < hi; i++)
		if (j->ctl[i].account == account && named(j->ctl[i].action, inv_off_actions, NELEM(inv_off_actions)))
			return &j->ctl[i];
	return NULL;
}
/* ---- windows -------------------------------------------------------------- */

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_rec(const void *a, const void *b)
{
	const rec *x = a, *y = b;
	int c = strcmp(x->account, y->account);
	if (c == 0)
		c = strcmp(x->region, y->region);
	if (c == 0)
		c = cmp_i64(x->time_us, y->time_us);
	if (c == 0)
		c = cmp_i64(x->member_id, y->member_id);
	return c ? c : cmp_i64(x->offset, y->offset);
}

static win_ex *new_window(reconcile_result *r)
{
	if (r->nw == r->aw) {
		size_t na = r->aw ? r->aw * 2 : 16;
		win_ex *nv = realloc(r->w, na * sizeof *nv);
		if (nv == NULL)
			return NULL;
		r->w = nv;
		r->aw = na;
	}
	win_ex *w = &r->w[r->nw++];
	memset(w, 0, sizeof *w);
	w->pub.cause = "";
	return w;
}

static lt_status push_id(reconcile_result *r, int64_t id)
{
	if (r->nids == r->aids) {
		size_t na = r->aids ? r->aids * 2 : 256;
		int64_t *nv = realloc(r->ids, na * sizeof *nv);
		if (nv == NULL)
			return LT_EFATAL;
		r->ids = nv;
		r->aids = na;
	}
	r->ids[r->nids++] = id;
	return LT_OK;
}


/* Widens the span the report's replay must cover to x, and remembers the
 * ordinal of the first event at its start (x's ordinal less its rank). */
static void note_hit_span(reconcile_result *r, const rec *x)
{
	if (x->time_us < r->hit_from_us) {
		r->hit_from_us = x->time_us;
		r->hit_base = x->id - x->rank;
	}
	if (x->time_us > r->hit_until_us)
		r->hit_until_us = x->time_us;
}

/* "ACTION at TIME" + tail, kept in the result's arena ("" when out of memory). */
static const char *cause_text(reconcile_result *r, const char *action, int64_t at, const char *tail)
{
	char t[LTIME_BUFSZ], text[160];
	ltime_format(at, 0, t);
	snprintf(text, sizeof text, "%s at %s%s", action, t, tail);
	const char *d = arena_strndup(r->a, text, strlen(text));
	return d ? d : "";
}

/* The call that left a window of CloudTrail runtime calls unlogged: the last
 * invocation-logging change in the account in the day before the window is a
 * deletion (not put back since). "" when none. */
static const char *logging_off_cause(reconcile_result *r, const joined *j, const win_ex *w)
{
	const ctlcall *k = switch_off(j, false, w->pub.account, w->pub.first_us - LTIME_DAY_US, w->pub.first_us);
	if (k == NULL || strcmp(k->action, "DeleteModelInvocationLoggingConfiguration") != 0)
		return "";
	return cause_text(r, k->action, k->time_us, ", not put back since");
}

/* Whether a window of CloudTrail runtime calls came before invocation logging
 * was on: no invocation-log record of its account/region before it (matched,
 * or unmatched: recs inv), and either none at all in the case (logging not
 * configured there) or the first logging configuration call in the day
 * after the window is a put (switched on then). */
static bool logging_not_yet_on(joined *j, const win_ex *w, const recs *inv)
{
	const char *acct = w->pub.account, *region = w->pub.region;
	const mseries *m = mseries_of(j, acct, region, false);
	bool before = m != NULL && m->first_matched_rec_us < w->pub.first_us;
	bool any = m != NULL && m->side[1].total > 0;
	for (size_t i = 0; i < inv->n && !before; i++)
		if (inv->v[i].account == acct && inv->v[i].region == region) { /* interned: one pointer per string */
			any = true;
			before = inv->v[i].time_us < w->pub.first_us;
		}
	if (before)
		return false;
	if (!any)
		return true;
	const ctlcall *k = logging_call_after(j, acct, w->pub.last_us, w->pub.last_us + LTIME_DAY_US);
	return k != NULL && strcmp(k->action, "PutModelInvocationLoggingConfiguration") == 0;
}

static void judge_ct_windows(reconcile_result *r, joined *j, const recs *inv)
{
	for (size_t i = 0; i < r->nw; i++)
		if (r->w[i].pub.kind == RECONCILE_CT_ONLY) {
			r->w[i].pub.cause = logging_off_cause(r, j, &r->w[i]);
			r->w[i].pub.not_yet_on = logging_not_yet_on(j, &r->w[i], inv);
		}
}

static lt_status make_windows(reconcile_result *r, rec *v, size_t n, reconcile_kind kind, lt_error *err)
{
	lt_sort(v, n, sizeof *v, cmp_rec);
	win_ex *w = NULL;
	const rec *first = NULL;
	for (size_t i = 0; i < n; i++) {
		const rec *x = &v[i];
		if (w == NULL || x->account != w->pub.account || x->region != w->pub.region ||
		    x->time_us - w->pub.last_us > RECONCILE_JOIN_US) {
			if (w != NULL)
				w->pub.matched = matched_in(first, x - 1);
			first = x;
			w = new_window(r);
			if (w == NULL)
				return lt_error_set(err, LT_EFATAL, "out of memory");
			w->pub.kind = kind;
			w->pub.account = x->account;
			w->pub.region = x->region;
			w->pub.first_us = x->time_us;
			w->first_id = r->nids;
		}
		w->pub.last_us = x->time_us;
		w->pub.count++;
		note_hit_span(r, x);
		if (push_id(r, x->id) != LT_OK)
			return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	if (w != NULL)
		w->pub.matched = matched_in(first, &v[n - 1]);
	return LT_OK;
}

/* ---- coverage gaps --------------------------------------------------------- */

typedef struct series {
	int source;
	const char *account, *region; /* interned */
	int64_t first_us, last_us;
	uint32_t *hours; /* from the case's first hour; NULL if the case is too long */
	size_t nh;       /* hours allocated */
} series;

typedef struct gapc {
	size_t series;
	int64_t from_us, to_us;
} gapc;

typedef struct gapscan {
	series *s;
	size_t ns;
	strmap *index; /* (source, account, region) -> series + 1 */
	buf key;
	gapc *g;
	size_t ng, ag;
	int64_t h0;      /* first hour of the case (us) */
	int64_t last_us; /* last event of the case */
	int started;     /* h0 is set */
	int too_long;    /* the case spans more than MAX_HOURS: no hourly counts */
	size_t nhours;
} gapscan;

static size_t series_of(gapscan *gs, int source, const char *account, const char *region)
{
	size_t la = strlen(account);
	unsigned char head[1 + sizeof la];
	head[0] = (unsigned char)source;
	memcpy(head + 1, &la, sizeof la);
	buf_reset(&gs->key);
	if (buf_append(&gs->key, head, sizeof head) != LT_OK || buf_append(&gs->key, account, la) != LT_OK ||
	    buf_append(&gs->key, region, strlen(region)) != LT_OK)
		return SIZE_MAX - 1;
	const uint64_t *found = strmap_find(gs->index, gs->key.data, gs->key.len);
	if (found)
		return (size_t)*found - 1;
	if (gs->ns >= MAX_SERIES)
		return SIZE_MAX;
	uint64_t *slot = strmap_slot(gs->index, gs->key.data, gs->key.len, true, NULL);
	if (slot == NULL)
		return SIZE_MAX - 1;
	series *s = &gs->s[gs->ns];
	memset(s, 0, sizeof *s);
	s->source = source;
	s->account = account;
	s->region = region;
	s->first_us = INT64_MIN;
	*slot = ++gs->ns;
	return gs->ns - 1;
}

/* Grows the hourly counts of x to at least n hours (zeroed). */
static int grow_hours(series *x, size_t n)
{
	if (x->nh >= n)
		return 0;
	size_t na = x->nh * 2 > n ? x->nh * 2 : n;
	if (na < 64)
		na = 64;
	if (na > MAX_HOURS)
		na = n;
	uint32_t *nv = realloc(x->hours, na * sizeof *nv);
	if (nv == NULL)
		return -1;
	memset(nv + x->nh, 0, (na - x->nh) * sizeof *nv);
	x->hours = nv;
	x->nh = na;
	return 0;
}

static void drop_hours(gapscan *gs)
{
	gs->too_long = 1;
	for (size_t i = 0; i < gs->ns; i++) {
		free(gs->s[i].hours);
		gs->s[i].hours = NULL;
		gs->s[i].nh = 0;
	}
}

static int add_gap(gapscan *gs, size_t si, int64_t from, int64_t to)
{
	if (gs->ng >= MAX_GAP_CANDIDATES)
		return 0;
	if (gs->ng == gs->ag) {
		size_t na = gs->ag ? gs->ag * 2 : 64;
		gapc *nv = realloc(gs->g, na * sizeof *nv);
		if (nv == NULL)
			return -1;
		gs->g = nv;
		gs->ag = na;
	}
	gs->g[gs->ng++] = (gapc){si, from, to};
	return 0;
}

static int64_t floor_hour(int64_t t)
{
	int64_t h = t / LTIME_HOUR_US * LTIME_HOUR_US;
	return h > t ? h - LTIME_HOUR_US : h;
}

/* One event of the pass (events come in time order). */
static lt_status scan_event(gapscan *gs, int source, const char *account, const char *region, int64_t t,
                            lt_error *err)
{
	if (!gs->started) {
		gs->h0 = floor_hour(t);
		gs->started = 1;
	}
	gs->last_us = t;
	size_t si = series_of(gs, source, account, region);
	if (si == SIZE_MAX - 1)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	if (si == SIZE_MAX)
		return LT_OK;
	series *x = &gs->s[si];
	if (x->first_us == INT64_MIN)
		x->first_us = t;
	else if (t - x->last_us >= RECONCILE_GAP_MIN_US && add_gap(gs, si, x->last_us, t) < 0)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	x->last_us = t;
	int64_t h = (t - gs->h0) / LTIME_HOUR_US;
	if (!gs->too_long && h >= MAX_HOURS)
		drop_hours(gs);
	if (gs->too_long)
		return LT_OK;
	if (grow_hours(x, (size_t)h + 1) < 0)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	x->hours[h]++;
	return LT_OK;
}

/* After the pass: every series gets hourly counts over the whole case. */
static lt_status finish_scan(gapscan *gs, lt_error *err)
{
	int64_t nh = (gs->last_us - gs->h0) / LTIME_HOUR_US + 1;
	gs->nhours = nh > 0 && nh <= MAX_HOURS && !gs->too_long ? (size_t)nh : 0;
	if (gs->nhours == 0) {
		drop_hours(gs);
		return LT_OK;
	}
	for (size_t i = 0; i < gs->ns; i++)
		if (grow_hours(&gs->s[i], gs->nhours) < 0)
			return lt_error_set(err, LT_EFATAL, "out of memory");
	return LT_OK;
}

/* Records of the series in (from, to], counted by a replay of that span. */
static lt_status count_between(case_db *c, const series *x, int64_t from, int64_t to, double *n, lt_error *err)
{
	replay_filter f;
	replay_filter_init(&f);
	f.since_us = from + 1;
	f.until_us = to + 1;
	f.source = x->source == EV_SRC_CLOUDTRAIL ? EV_SRC_CLOUDTRAIL : EV_SRC_INVOCATION;
	f.flags = REPLAY_HEADERS_ONLY;
	replay *rp = NULL;
	lt_status st = replay_new(c, &f, &rp, err);
	const event *ev = NULL;
	uint64_t k = 0;
	while (st == LT_OK) {
		lt_status sn = replay_next(rp, &ev, err);
		if (sn == LT_EFATAL)
			st = sn;
		if (ev == NULL)
			break;
		if (ev_str_eq(ev->account, x->account) && ev_str_eq(ev->region, x->region))
			k++;
	}
	replay_free(rp);
	*n = (double)k;
	return st;
}

/* At most how many records of the series lie in (from, to] (by the hourly counts); HUGE_VAL if unknown. */
static double count_bound(const series *x, const gapscan *gs, int64_t from, int64_t to)
{
	if (x->hours == NULL)
		return HUGE_VAL;
	double n = 0;
	for (int64_t h = floor_hour(from + 1); h <= floor_hour(to); h += LTIME_HOUR_US) {
		int64_t i = (h - gs->h0) / LTIME_HOUR_US;
		if (h >= gs->h0 && i >= 0 && (size_t)i < gs->nhours)
			n += x->hours[i];
	}
	return n;
}

/* Share of other days, inside the series' span and outside this gap, whose
 * same clock hours had records; -1 when there is no such day. */
static double other_days_share(const series *x, const gapscan *gs, int64_t from, int64_t to)
{
	if (x->hours == NULL)
		return -1;
	size_t active = 0, total = 0;
	for (int64_t h = floor_hour(from) + LTIME_HOUR_US; h + LTIME_HOUR_US <= to; h += LTIME_HOUR_US) {
		for (int64_t o = h - RECONCILE_GAP_DAYS * LTIME_DAY_US; o <= h + RECONCILE_GAP_DAYS * LTIME_DAY_US;
		     o += LTIME_DAY_US) {
			if ((o >= from && o < to) || o < floor_hour(x->first_us) || o > x->last_us)
				continue;
			int64_t i = (o - gs->h0) / LTIME_HOUR_US;
			if (i < 0 || (size_t)i >= gs->nhours)
				continue;
			total++;
			active += x->hours[i] > 0;
		}
	}
	return total ? (double)active / (double)total : -1;
}


/* A call in the same account shortly before the gap that switches the
 * source off: the gap's cause. "" when none. */
static const char *gap_cause(reconcile_result *r, const joined *j, const series *x, int64_t from)
{
	const ctlcall *k = switch_off(j, x->source == 1, x->account, from - RECONCILE_CAUSE_US, from + RECONCILE_CAUSE_US);
	return k == NULL ? "" : cause_text(r, k->action, k->time_us, "");
}

static lt_status judge_gaps(reconcile_result *r, case_db *c, const joined *j, gapscan *gs, lt_error *err)
{
	for (size_t i = 0; i < gs->ng; i++) {
		const gapc *g = &gs->g[i];
		const series *x = &gs->s[g->series];
		int64_t len = g->to_us - g->from_us;
		double share = other_days_share(x, gs, g->from_us, g->to_us);
		int whole_day = len >= LTIME_DAY_US;
		if (!whole_day && share >= 0 && share < RECONCILE_GAP_EXPECTED)
			continue;
		/* the hour before the gap (ending with its last record) and after (from its first) */
		int64_t b_from = g->from_us - LTIME_HOUR_US, b_to = g->from_us;
		int64_t a_from = g->to_us - 1, a_to = g->to_us + LTIME_HOUR_US - 1;
		if (!whole_day) {
			double ub = fmin(count_bound(x, gs, b_from, b_to), count_bound(x, gs, a_from, a_to));
			if (ub * (double)len / (double)LTIME_HOUR_US < RECONCILE_GAP_POISSON)
				continue;
		}
		double before = 0, after = 0;
		lt_status st = count_between(c, x, b_from, b_to, &before, err);
		if (st == LT_OK)
			st = count_between(c, x, a_from, a_to, &after, err);
		if (st != LT_OK)
			return st;
		double rate = before < after ? before : after;
		double expect = rate * (double)len / (double)LTIME_HOUR_US;
		if (!whole_day && expect < RECONCILE_GAP_POISSON)
			continue;
		win_ex *w = new_window(r);
		if (w == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory");
		w->pub.kind = x->source == 1 ? RECONCILE_GAP_CT : RECONCILE_GAP_INV;
		w->pub.account = x->account;
		w->pub.region = x->region;
		w->pub.first_us = g->from_us;
		w->pub.last_us = g->to_us;
		w->pub.expected = share;
		w->pub.predicted = (size_t)expect;
		w->pub.cause = gap_cause(r, j, x, g->from_us);
		w->first_id = r->nids;
		r->sum.gaps++;
	}
	return LT_OK;
}

static lt_status claimed_edges(gapscan *gs, const reconcile_options *o)
{
	for (size_t i = 0; i < gs->ns; i++) {
		const series *x = &gs->s[i];
		if (x->source != 1 || x->first_us == INT64_MIN)
			continue;
		if (o->claimed_from_us != INT64_MIN && x->first_us - o->claimed_from_us >= RECONCILE_GAP_MIN_US &&
		    add_gap(gs, i, o->claimed_from_us, x->first_us) < 0)
			return LT_EFATAL;
		if (o->claimed_until_us != INT64_MAX && o->claimed_until_us - x->last_us >= RECONCILE_GAP_MIN_US &&
		    add_gap(gs, i, x->last_us, o->claimed_until_us) < 0)
			return LT_EFATAL;
	}
	return LT_OK;
}

/* Is t inside a CloudTrail gap (or outside CloudTrail's span) for account/region?
 * (account and region are interned: equal strings are equal pointers.) */
static int ct_silent(const reconcile_result *r, const gapscan *gs, const char *account, const char *region,
                     int64_t t)
{
	int seen = 0;
	for (size_t i = 0; i < gs->ns; i++) {
		const series *x = &gs->s[i];
		if (x->source == 1 && x->account == account && x->region == region) {
			seen = 1;
			if (t < x->first_us || t > x->last_us)
				return 1;
		}
	}
	if (!seen)
		return 1;
	for (size_t i = 0; i < r->nw; i++) {
		const win_ex *w = &r->w[i];
		if (w->pub.kind == RECONCILE_GAP_CT && w->pub.account == account && w->pub.region == region &&
		    t > w->pub.first_us && t < w->pub.last_us)
			return 1;
	}
	return 0;
}

static void free_scan(gapscan *gs)
{
	for (size_t i = 0; gs->s && i < gs->ns; i++)
		free(gs->s[i].hours);
	free(gs->s);
	free(gs->g);
	strmap_free(gs->index);
	buf_free(&gs->key);
}

/* ---- the pass ---------------------------------------------------------------- */

typedef struct pass {
	reconcile_result *r;
	case_db *c;
	strmap *names;
	gapscan *gs;
	recjoin *join;
	joined *j;
	buf key;
	int64_t ord, rank, prev_us;
} pass;

static const char *const runtime_actions[] = {"InvokeModel", "InvokeModelWithResponseStream", "Converse",
                                              "ConverseStream"};

/* The static name of ev's action among names (NULL when none). */
static const char *action_of(ev_str v, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ev_str_eq(v, names[i]))
			return names[i];
	return NULL;
}

/* What the join hands back, per side in time order: counts, the matched
 * prefix counts per account/region, the unmatched items. */
static lt_status on_emit(void *ctx, const recjoin_item *it, int match, lt_error *err)
{
	pass *p = ctx;
	reconcile_summary *sum = &p->r->sum;
	if (it->is_call) {
		sum->ct_calls++;
		sum->ct_calls_error += it->has_error;
		sum->matched_request += match == RECJOIN_BY_REQUEST;
		sum->matched_weak += match == RECJOIN_WEAK;
	} else {
		sum->inv_records++;
	}
	mseries *m = mseries_of(p->j, it->account, it->region, true);
	if (m == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	side_count *sc = &m->side[it->is_call ? 0 : 1];
	recs *list = it->is_call ? &p->j->ct : &p->j->inv;
	if (!sc->started || it->time_us != sc->cur_us) {
		resolve_pending(sc, list);
		sc->base = sc->total;
		sc->cur_us = it->time_us;
		sc->started = true;
	}
	if (match != RECJOIN_UNMATCHED) {
		sc->total++;
		if (!it->is_call && it->time_us < m->first_matched_rec_us)
			m->first_matched_rec_us = it->time_us;
		return LT_OK;
	}
	rec *nv = lt_grow(list->v, &list->alloc, list->n, sizeof *nv, 256);
	if (nv == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	list->v = nv;
	rec *x = &list->v[list->n];
	*x = (rec){.id = it->id,
	           .time_us = it->time_us,
	           .member_id = it->member_id,
	           .offset = it->offset,
	           .rank = it->rank,
	           .principal = it->principal,
	           .account = it->account,
	           .region = it->region,
	           .model = it->model,
	           .has_error = it->has_error,
	           .mlt = sc->base,
	           .next_pend = sc->pend};
	sc->pend = (int64_t)list->n++;
	return LT_OK;
}

/* A request id as the join compares it: canonical UUIDs as their 16 bytes
 * (any letter case), anything else as its text; tagged so the two never meet. */
static lt_status request_key(pass *p, ev_str id)
{
	unsigned char packed[16];
	buf_reset(&p->key);
	bool uuid = lt_uuid_pack(id.p, id.n, packed);
	unsigned char tag = uuid ? 'U' : 'T';
	lt_status st = buf_append(&p->key, &tag, 1);
	if (st == LT_OK)
		st = buf_append(&p->key, uuid ? (const void *)packed : (const void *)id.p, uuid ? sizeof packed : id.n);
	return st;
}

static lt_status join_event(pass *p, const event *ev, bool call, const char *account, const char *region,
                            lt_error *err)
{
	recjoin_item it = {
		.id = p->ord,
		.rank = p->rank,
		.time_us = ev->time_us,
		.member_id = ev->prov ? ev->prov->member_id : 0,
		.offset = (int64_t)ev->offset,
		.principal = intern(p->r, p->names, ev->principal.p, ev->principal.n),
		.account = account,
		.region = region,
		.model = intern(p->r, p->names, ev->model.p, ev->model.n),
		.is_call = call,
		.has_error = call && ev->error_code.n > 0,
	};
	if (it.principal == NULL || it.model == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	if (ev->request_id.n > 0) {
		if (request_key(p, ev->request_id) != LT_OK)
			return lt_error_set(err, LT_EFATAL, "out of memory");
		it.key = p->key.data;
		it.key_len = p->key.len;
	}
	return recjoin_add(p->join, &it, err);
}

static lt_status add_control(pass *p, const event *ev, const char *action, const char *account, lt_error *err)
{
	joined *j = p->j;
	ctlcall *nv = lt_grow(j->ctl, &j->actl, j->nctl, sizeof *nv, 64);
	if (nv == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	j->ctl = nv;
	j->ctl[j->nctl++] = (ctlcall){p->ord, ev->time_us, account, action};
	return LT_OK;
}

static lt_status pass_event(pass *p, const event *ev, lt_error *err)
{
	p->ord++;
	p->rank = p->ord > 1 && ev->time_us == p->prev_us ? p->rank + 1 : 0;
	p->prev_us = ev->time_us;
	if (ev->source != EV_SRC_CLOUDTRAIL && ev->source != EV_SRC_INVOCATION)
		return LT_OK;
	const char *account = intern(p->r, p->names, ev->account.p, ev->account.n);
	const char *region = intern(p->r, p->names, ev->region.p, ev->region.n);
	if (account == NULL || region == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	lt_status st = LT_OK;
	const char *ctl = NULL;
	if (ev->source == EV_SRC_INVOCATION)
		st = join_event(p, ev, false, account, region, err);
	else if (ev_str_eq(ev->service, "bedrock.amazonaws.com") &&
	         action_of(ev->action, runtime_actions, NELEM(runtime_actions)) != NULL)
		st = join_event(p, ev, true, account, region, err);
	else if ((ctl = action_of(ev->action, ct_off_actions, NELEM(ct_off_actions))) != NULL ||
	         (ctl = action_of(ev->action, inv_off_actions, NELEM(inv_off_actions))) != NULL)
		st = add_control(p, ev, ctl, account, err);
	if (st != LT_OK)
		return st;
	return scan_event(p->gs, (int)ev->source, account, region, ev->time_us, err);
}

/* The one replay over every event of the case (headers only). */
static lt_status read_events(pass *p, lt_error *err)
{
	lt_status st = LT_OK;
	replay_filter f;
	replay_filter_init(&f);
	f.flags = REPLAY_HEADERS_ONLY;
	replay *rp = NULL;
	if (st == LT_OK)
		st = replay_new(p->c, &f, &rp, err);
	while (st == LT_OK) {
		const event *ev = NULL;
		lt_status sn = replay_next(rp, &ev, err);
		if (sn == LT_EFATAL)
			st = sn;
		if (ev == NULL)
			break;
		st = pass_event(p, ev, err);
	}
	replay_free(rp);
	if (st == LT_OK)
		st = recjoin_finish(p->join, err);
	for (size_t i = 0; st == LT_OK && i < p->j->ns; i++) {
		resolve_pending(&p->j->s[i].side[0], &p->j->ct);
		resolve_pending(&p->j->s[i].side[1], &p->j->inv);
	}
	return st;
}

/* What the join needed, said at -v; a warning when the horizon was too short. */
static void log_join(const recjoin_stats *js)
{
	log_msg(LT_LOG_DEBUG,
	        "reconcile: largest call/record gap by request id %.3f s (horizon %lld s), at most %zu items held",
	        (double)js->max_request_gap_us / 1e6, (long long)(RECONCILE_HORIZON_US / 1000000), js->peak_pending);
	if (js->forced > 0 || js->late > 0)
		log_msg(LT_LOG_WARN,
		        "reconcile: %zu calls/records were judged before their horizon (more than %d held) and at least "
		        "%zu had their request-id counterpart more than %lld s away: those are reported unmatched",
		        js->forced, RECONCILE_MAX_PENDING, js->late, (long long)(RECONCILE_HORIZON_US / 1000000));
}

static void joined_free(joined *j)
{
	strmap_free(j->smap);
	free(j->s);
	free(j->ctl);
	free(j->ct.v);
	free(j->inv.v);
}

/* ---- the run ---------------------------------------------------------------- */

static lt_status run(reconcile_result *r, case_db *c, const reconcile_options *o, lt_error *err)
{
	gapscan gs;
	memset(&gs, 0, sizeof gs);
	buf_init(&gs.key, 0);
	joined j;
	memset(&j, 0, sizeof j);
	pass p;
	memset(&p, 0, sizeof p);
	p.r = r;
	p.c = c;
	p.gs = &gs;
	p.j = &j;
	buf_init(&p.key, 0);
	p.names = strmap_new(0);
	j.smap = strmap_new(0);
	p.join = recjoin_new(RECONCILE_HORIZON_US, RECONCILE_WEAK_US, RECONCILE_MAX_PENDING, on_emit, &p);
	gs.s = calloc(MAX_SERIES, sizeof *gs.s);
	gs.index = strmap_new(0);
	lt_status st = LT_OK;
	if (p.names == NULL || j.smap == NULL || p.join == NULL || gs.s == NULL || gs.index == NULL)
		st = lt_error_set(err, LT_EFATAL, "out of memory");
	if (st == LT_OK)
		st = read_events(&p, err);
	if (st == LT_OK)
		log_join(recjoin_get_stats(p.join));
	recjoin_free(p.join);
	buf_free(&p.key);
	r->applicable = r->sum.ct_calls > 0 && r->sum.inv_records > 0;
	recs *ct = &j.ct, *inv = &j.inv;
	if (st == LT_OK)
		st = finish_scan(&gs, err);
	if (st == LT_OK && claimed_edges(&gs, o) != LT_OK)
		st = lt_error_set(err, LT_EFATAL, "out of memory");
	if (st == LT_OK)
		st = judge_gaps(r, c, &j, &gs, err);
	if (st == LT_OK && r->applicable) {
		size_t keep = 0;
		for (size_t i = 0; i < ct->n; i++) {
			if (ct->v[i].has_error)
				r->sum.ct_only_error++;
			else
				ct->v[keep++] = ct->v[i];
		}
		r->sum.ct_only = keep;
		st = make_windows(r, ct->v, keep, RECONCILE_CT_ONLY, err);
		if (st == LT_OK)
			judge_ct_windows(r, &j, inv);
		keep = 0;
		for (size_t i = 0; st == LT_OK && i < inv->n; i++) {
			if (ct_silent(r, &gs, inv->v[i].account, inv->v[i].region, inv->v[i].time_us))
				r->sum.inv_only_uncovered++;
			else
				inv->v[keep++] = inv->v[i];
		}
		r->sum.inv_only = keep;
		if (st == LT_OK)
			st = make_windows(r, inv->v, keep, RECONCILE_INV_ONLY, err);
	}
	joined_free(&j);
	free_scan(&gs);
	strmap_free(p.names);
	return st;
}

static int cmp_window(const void *a, const void *b)
{
	const win_ex *x = a, *y = b;
	if (x->pub.first_us != y->pub.first_us)
		return x->pub.first_us < y->pub.first_us ? -1 : 1;
	if (x->pub.kind != y->pub.kind)
		return x->pub.kind < y->pub.kind ? -1 : 1;
	int c = strcmp(x->pub.account, y->pub.account);
	return c ? c : strcmp(x->pub.region, y->pub.region);
}

lt_status reconcile_case(case_db *c, const reconcile_options *o, reconcile_result **out, lt_error *err)
{
	reconcile_options def;
	if (o == NULL) {
		reconcile_options_init(&def);
		o = &def;
	}
	*out = NULL;
	reconcile_result *r = calloc(1, sizeof *r);
	if (r == NULL || (r->a = arena_new(0, 0)) == NULL) {
		free(r);
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	r->hit_from_us = INT64_MAX;
	r->hit_until_us = INT64_MIN;
	lt_status st = run(r, c, o, err);
	if (st == LT_OK) {
		lt_sort(r->w, r->nw, sizeof *r->w, cmp_window);
		r->out = malloc((r->nw ? r->nw : 1) * sizeof *r->out);
		if (r->out == NULL)
			st = lt_error_set(err, LT_EFATAL, "out of memory");
		for (size_t i = 0; st == LT_OK && i < r->nw; i++) {
			r->out[i] = r->w[i].pub;
			r->out[i].ids = r->w[i].pub.count ? r->ids + r->w[i].first_id : NULL;
		}
	}
	if (st != LT_OK) {
		reconcile_result_free(r);
		return st;
	}
	*out = r;
	return LT_OK;
}

/* ---- report ------------------------------------------------------------------ */

enum { R_GAP_LOGGING, R_CT_ONLY, R_INV_ONLY, R_GAP_CT, R_GAP_INV, R_GAP_CT_STOPPED, R_GAP_INV_OFF, R_DAMAGED,
       R_CALLS_LOGGING_OFF, R_CALLS_BEFORE_LOGGING, R_COUNT };

static const builtin_rule rules[R_COUNT] = {
	[R_GAP_LOGGING] = {"llmtrail-reconcile-invocation-logging-gap",
	                   "Bedrock calls in CloudTrail without invocation-log records (logging off or deleted)",
	                   RPT_LEVEL_HIGH,
	                   "A window of CloudTrail InvokeModel/Converse calls has no matching invocation-log records: "
	                   "the signature of model-invocation logging switched off, misconfigured or deleted.",
	                   "attack.defense-evasion", true},
	[R_CT_ONLY] = {"llmtrail-reconcile-invocation-log-missing",
	               "Bedrock call in CloudTrail without invocation-log record", RPT_LEVEL_LOW,
	               "One or two CloudTrail runtime calls have no matching invocation-log record.",
	               "attack.defense-evasion", true},
	[R_INV_ONLY] = {"llmtrail-reconcile-cloudtrail-missing",
	                "Invocation-log records without CloudTrail call", RPT_LEVEL_MEDIUM,
	                "Invocation-log records inside the time CloudTrail covers have no matching CloudTrail call: "
	                "CloudTrail files deleted, or records injected.",
	                "attack.defense-evasion", true},
	[R_GAP_CT_STOPPED] = {"llmtrail-coverage-gap-cloudtrail-stopped",
	                      "No CloudTrail records after the trail was stopped or changed", RPT_LEVEL_LOW,
	                      "An account/region has no CloudTrail record for a stretch that begins right after "
	                      "StopLogging, DeleteTrail, UpdateTrail or PutEventSelectors in that account. Low: the "
	                      "silence is what that call did, and the call is judged by its own rule (who made it, "
	                      "with which credentials, what followed); one cause, one alarm.",
	                      "attack.defense-evasion"},
	[R_GAP_INV_OFF] = {"llmtrail-coverage-gap-invocation-logging-off",
	                   "No invocation-log records after invocation logging was deleted or changed", RPT_LEVEL_LOW,
	                   "An account/region has no invocation-log record for a stretch that begins right after "
	                   "DeleteModelInvocationLoggingConfiguration or PutModelInvocationLoggingConfiguration. Low: "
	                   "the silence is what that call did, and the call is judged by its own rule; one cause, "
	                   "one alarm.",
	                   "attack.defense-evasion"},
	[R_CALLS_LOGGING_OFF] = {"llmtrail-reconcile-calls-while-logging-deleted",
	                         "Bedrock calls in CloudTrail while invocation logging was deleted", RPT_LEVEL_LOW,
	                         "A window of CloudTrail InvokeModel/Converse calls has no invocation-log records, and "
	                         "the account's invocation-logging configuration was deleted in the day before and "
	                         "not put back: the calls are what the deletion left unlogged. Low: the deletion is "
	                         "judged by its own rules (the credentials that made it; invocations by the same "
	                         "actor after it are the LLMjacking chain).",
	                         "attack.defense-evasion", true},
	[R_CALLS_BEFORE_LOGGING] = {"llmtrail-reconcile-calls-before-logging-seen",
	                            "Bedrock calls in CloudTrail where invocation logging was not seen on yet",
	                            RPT_LEVEL_LOW,
	                            "A window of CloudTrail InvokeModel/Converse calls has no invocation-log records, "
	                            "the account/region has none before it in the case, and either none at all "
	                            "(logging not configured there) or the logging configuration was put right "
	                            "after the window (switched on then). Nothing shows it switched off; low (a "
	                            "gap after records had flowed is high).",
	                            "attack.defense-evasion", true},
	[R_GAP_CT] = {"llmtrail-coverage-gap-cloudtrail", "No CloudTrail records for a stretch of time",
	              RPT_LEVEL_LOW,
	              "An account/region has no CloudTrail record at all for a stretch in which its own activity "
	              "predicts many: the trail stopped, or files are missing. Low on its own (quiet nights of a "
	              "small region look the same); high when a StopLogging or trail change explains it.",
	              "attack.defense-evasion"},
	[R_GAP_INV] = {"llmtrail-coverage-gap-invocation-logs", "No invocation-log records for a stretch of time",
	               RPT_LEVEL_LOW,
	               "An account/region has no invocation-log record for a stretch in which its own activity "
	               "predicts many. Low on its own; high when a logging deletion or change explains it.",
	               "attack.defense-evasion"},
	[R_DAMAGED] = {"llmtrail-reconcile-counterpart-in-damaged-member",
	               "Records without counterpart where a damaged member would hold it", RPT_LEVEL_INFORMATIONAL,
	               "CloudTrail calls without invocation-log record, invocation-log records without CloudTrail "
	               "call, or a silent stretch, inside the time and account/region of a member of the other "
	               "source (or the same, for a silence) that this run could not read whole: the counterpart is "
	               "probably in that member, not missing. See the member's problem.",
	               NULL},
};

const builtin_rule *reconcile_rule_def(reconcile_rule_kind k)
{
	static const int at[] = {[RECONCILE_RULE_LOGGING_GAP] = R_GAP_LOGGING, [RECONCILE_RULE_CT_ONLY] = R_CT_ONLY,
	                         [RECONCILE_RULE_INV_ONLY] = R_INV_ONLY};
	return &rules[at[k]];
}

/* ---- damaged members ------------------------------------------------------------
 *
 * A member the run could not read whole (case_damaged_members) explains a
 * window only inside its own span: the time of its events read, widened by
 * the time in its name (CloudTrail ..._YYYYMMDDTHHMMZ_..., invocation logs
 * YYYYMMDDTHHMMSS...Z_...) less RECONCILE_DAMAGE_BEFORE_US and plus
 * RECONCILE_DAMAGE_AFTER_US, and only for its account/region when its path
 * names them (AWSLogs/<account>/<service>/<region>/). A member with no time
 * at all explains nothing: one broken file cannot excuse a whole case. */

#define RECONCILE_MAX_DAMAGED 10000
#define RECONCILE_DAMAGE_BEFORE_US (60LL * 60 * 1000000LL)
#define RECONCILE_DAMAGE_AFTER_US (15LL * 60 * 1000000LL)

typedef struct damaged {
	int source; /* EV_SRC_CLOUDTRAIL, EV_SRC_INVOCATION, or EV_SRC_UNKNOWN */
	char account[16], region[32];
	int64_t lo, hi;
	char *where; /* "file :: member (reason)" */
} damaged;

typedef struct damaged_set {
	damaged *v;
	size_t n;
} damaged_set;

/* The first YYYYMMDDTHHMM in s, as microseconds; INT64_MIN if none. */
static int64_t name_time(const char *s)
{
	for (const char *p = s; *p; p++) {
		int ok = 1;
		for (int i = 0; i < 13 && ok; i++)
			ok = i == 8 ? p[i] == 'T' : (p[i] >= '0' && p[i] <= '9');
		if (!ok)
			continue;
		char iso[32];
		snprintf(iso, sizeof iso, "%.4s-%.2s-%.2sT%.2s:%.2s:00Z", p, p + 4, p + 6, p + 9, p + 11);
		int64_t t;
		if (ltime_parse(iso, strlen(iso), &t) == LT_OK)
			return t;
	}
	return INT64_MIN;
}

/* account and region after "AWSLogs/<account>/<service>/<region>/" */
static void name_scope(const char *s, damaged *d)
{
	const char *p = strstr(s, "AWSLogs/");
	if (p == NULL)
		return;
	p += 8;
	size_t a = strcspn(p, "/");
	if (p[a] != '/' || a >= sizeof d->account)
		return;
	const char *svc = p + a + 1;
	size_t sv = strcspn(svc, "/");
	if (svc[sv] != '/')
		return;
	const char *reg = svc + sv + 1;
	size_t r = strcspn(reg, "/");
	if (reg[r] != '/' || r >= sizeof d->region || r == 0)
		return;
	memcpy(d->account, p, a);
	d->account[a] = '\0';
	memcpy(d->region, reg, r);
	d->region[r] = '\0';
}

static int add_damaged(void *ctx, const case_damaged *cd)
{
	damaged_set *ds = ctx;
	damaged d;
	memset(&d, 0, sizeof d);
	char path[2048];
	snprintf(path, sizeof path, "%s/%s", cd->file, cd->member);
	d.source = strcmp(cd->format, "cloudtrail") == 0 || strstr(path, "/CloudTrail/") ? EV_SRC_CLOUDTRAIL
	         : strncmp(cd->format, "invocation", 10) == 0 || strstr(path, "/BedrockModelInvocationLogs/")
	             ? EV_SRC_INVOCATION
	             : EV_SRC_UNKNOWN;
	name_scope(path, &d);
	int64_t named = name_time(cd->member[0] ? cd->member : cd->file);
	d.lo = INT64_MAX;
	d.hi = INT64_MIN;
	if (named != INT64_MIN) {
		d.lo = named;
		d.hi = named;
	}
	if (cd->first_us != INT64_MIN && cd->first_us < d.lo)
		d.lo = cd->first_us;
	if (cd->last_us != INT64_MIN && cd->last_us > d.hi)
		d.hi = cd->last_us;
	if (d.lo == INT64_MAX)
		return 0; /* no time: explains nothing */
	d.lo -= RECONCILE_DAMAGE_BEFORE_US;
	d.hi += RECONCILE_DAMAGE_AFTER_US;
	size_t need = strlen(path) + strlen(cd->reason) + 8;
	d.where = malloc(need);
	if (d.where == NULL)
		return 1;
	if (cd->member[0])
		snprintf(d.where, need, "%s :: %s (%s)", cd->file, cd->member, cd->reason);
	else
		snprintf(d.where, need, "%s (%s)", cd->file, cd->reason);
	damaged *nv = realloc(ds->v, (ds->n + 1) * sizeof *nv);
	if (nv == NULL) {
		free(d.where);
		return 1;
	}
	ds->v = nv;
	ds->v[ds->n++] = d;
	return 0;
}

static void damaged_free(damaged_set *ds)
{
	for (size_t i = 0; i < ds->n; i++)
		free(ds->v[i].where);
	free(ds->v);
	ds->v = NULL;
	ds->n = 0;
}

/* The damaged member that would hold w's counterpart (the other source for
 * record windows, the same source for a silence), or NULL. */
static const damaged *damage_for(const damaged_set *ds, const reconcile_window *w)
{
	int want = w->kind == RECONCILE_CT_ONLY || w->kind == RECONCILE_GAP_INV ? EV_SRC_INVOCATION : EV_SRC_CLOUDTRAIL;
	for (size_t i = 0; i < ds->n; i++) {
		const damaged *d = &ds->v[i];
		if (d->source != want && d->source != EV_SRC_UNKNOWN)
			continue;
		if ((d->account[0] && strcmp(d->account, w->account) != 0) ||
		    (d->region[0] && strcmp(d->region, w->region) != 0))
			continue;
		if (d->lo <= w->first_us && w->last_us <= d->hi)
			return d;
	}
	return NULL;
}

static const char *kind_name(reconcile_kind k)
{
	static const char *const n[] = {"cloudtrail-only", "invocation-only", "cloudtrail-gap", "invocation-gap"};
	return (unsigned)k < 4 ? n[k] : "?";
}

static void describe(const reconcile_window *w, char *out, size_t n)
{
	char a[LTIME_BUFSZ], b[LTIME_BUFSZ];
	ltime_format(w->first_us, 0, a);
	ltime_format(w->last_us, 0, b);
	switch (w->kind) {
	case RECONCILE_CT_ONLY:
		snprintf(out, n,
		         "%zu CloudTrail Bedrock runtime calls in %s/%s from %s to %s have no invocation-log record "
		         "(%zu calls in that span do)%s%s",
		         w->count, w->account, w->region, a, b, w->matched, w->cause[0] ? "; after " : "", w->cause);
		break;
	case RECONCILE_INV_ONLY:
		snprintf(out, n,
		         "%zu invocation-log records in %s/%s from %s to %s have no CloudTrail call (%zu in that span "
		         "do)",
		         w->count, w->account, w->region, a, b, w->matched);
		break;
	default:
		snprintf(out, n,
		         "no %s record in %s/%s from %s to %s (%.1f h); the neighbouring hours' rate predicts about "
		         "%zu%s%s",
		         w->kind == RECONCILE_GAP_CT ? "CloudTrail" : "invocation-log", w->account, w->region, a, b,
		         (double)(w->last_us - w->first_us) / (double)LTIME_HOUR_US, w->predicted,
		         w->cause[0] ? "; after " : "", w->cause);
		break;
	}
}

/* ---- report: the unmatched records read back ------------------------------ */

typedef struct wanted {
	int64_t ord, pos;
} wanted;

static int cmp_wanted(const void *a, const void *b)
{
	const wanted *x = a, *y = b;
	return cmp_i64(x->ord, y->ord);
}

static int is_record_window(const reconcile_window *w)
{
	return w->kind == RECONCILE_CT_ONLY || w->kind == RECONCILE_INV_ONLY;
}

/* One headers-only replay over the record windows' span keeps the wanted
 * records (want, sorted by ordinal) in q. */
static lt_status collect_hits(const reconcile_result *r, case_db *c, recq *q, const wanted *want, size_t n,
                              lt_error *err)
{
	lt_status st = LT_OK;
	replay_filter f;
	replay_filter_init(&f);
	f.since_us = r->hit_from_us;
	f.until_us = r->hit_until_us + 1;
	f.flags = REPLAY_HEADERS_ONLY;
	replay *rp = NULL;
	if (st == LT_OK)
		st = replay_new(c, &f, &rp, err);
	int64_t ord = r->hit_base;
	size_t j = 0;
	while (st == LT_OK && j < n) {
		const event *ev = NULL;
		lt_status sn = replay_next(rp, &ev, err);
		if (sn == LT_EFATAL)
			st = sn;
		if (ev == NULL)
			break;
		while (j < n && want[j].ord < ord)
			j++;
		if (j < n && want[j].ord == ord)
			st = recq_hit_add(q, want[j++].pos, ev, err);
		ord++;
	}
	replay_free(rp);
	return st;
}

static lt_status event_hit(report *rep, size_t rule, const recq_hit *h, const rpt_pair *g, const char *detail,
                           lt_error *err)
{
	rpt_event_in ev;
	rpt_event_init(&ev);
	ev.time_us = h->time_us;
	ev.source = rpt_s(h->source);
	ev.uid = rpt_s(h->uid);
	ev.request_id = rpt_s(h->request_id);
	ev.action = rpt_s(h->action);
	ev.service = rpt_s(h->service);
	ev.principal = rpt_s(h->principal);
	ev.access_key = rpt_s(h->access_key);
	ev.account = rpt_s(h->account);
	ev.region = rpt_s(h->region);
	ev.source_ip = rpt_s(h->source_ip);
	ev.user_agent = rpt_s(h->user_agent);
	ev.model = rpt_s(h->model);
	ev.error_code = rpt_s(h->error_code);
	ev.input_tokens = h->input_tokens;
	ev.output_tokens = h->output_tokens;
	ev.latency_ms = h->latency_ms;
	ev.line = h->line;
	ev.evidence = rpt_s(h->evidence);
	ev.member = rpt_s(h->member);
	ev.member_sha256 = rpt_s(h->sha256);
	rpt_match_in m;
	memset(&m, 0, sizeof m);
	m.field = rpt_s("reconciliation");
	m.value = rpt_s(detail);
	m.end = m.value.n;
	return report_add_hit(rep, rule, g, 1, &ev, &m, 1, err);
}

static lt_status add_summary_table(const reconcile_result *r, report *rep, lt_error *err)
{
	static const char *const cols[] = {"measure", "count"};
	size_t t;
	lt_status st = report_add_table(rep, "CloudTrail / invocation-log reconciliation", 2, cols, &t, err);
	const reconcile_summary *s = &r->sum;
	const struct {
		const char *name;
		size_t v;
	} rows[] = {
		{"CloudTrail Bedrock runtime calls", s->ct_calls},
		{"... with an error code", s->ct_calls_error},
		{"invocation-log records", s->inv_records},
		{"matched by request id", s->matched_request},
		{"matched weakly (principal + model + time within 5 s)", s->matched_weak},
		{"calls without invocation-log record", s->ct_only},
		{"failed calls without record (expected)", s->ct_only_error},
		{"records without CloudTrail call", s->inv_only},
		{"records without call where CloudTrail is silent", s->inv_only_uncovered},
		{"coverage gaps", s->gaps},
	};
	for (size_t i = 0; st == LT_OK && i < sizeof rows / sizeof rows[0]; i++) {
		char num[32];
		snprintf(num, sizeof num, "%zu", rows[i].v);
		rpt_str cells[2] = {rpt_s(rows[i].name), rpt_s(num)};
		st = report_table_add_row(rep, t, cells, err);
	}
	return st;
}

/* One finding per window; the records of record windows come from q (NULL:
 * none), in window order (pos), kept by collect_hits. */
static lt_status add_windows(const reconcile_result *r, recq *q, report *rep, const size_t *idx,
                             const damaged_set *ds, lt_error *err)
{
	recq_hit h;
	lt_status st = q != NULL ? recq_hits_read(q, err) : LT_OK;
	int have = st == LT_OK && q != NULL && recq_hit_next(q, &h);
	int64_t pos = 0;
	for (size_t i = 0; i < r->nw && st == LT_OK; i++) {
		const reconcile_window *w = &r->out[i];
		char detail[2048], a[LTIME_BUFSZ], b[LTIME_BUFSZ], gv[256];
		const damaged *dm = damage_for(ds, w);
		size_t dl = 0;
		if (dm != NULL) /* first: an excerpt keeps the first RPT_MATCH_MAX bytes */
			dl = (size_t)snprintf(detail, sizeof detail, "counterpart probably in damaged member %s: ", dm->where);
		describe(w, detail + (dl < sizeof detail ? dl : sizeof detail - 1), sizeof detail - (dl < sizeof detail ? dl : sizeof detail - 1));
		ltime_format(w->first_us, 0, a);
		ltime_format(w->last_us, 0, b);
		snprintf(gv, sizeof gv, "%s/%s %s..%s", w->account, w->region, a, b);
		rpt_pair g = {rpt_s("window"), rpt_s(gv)};
		if (is_record_window(w)) {
			size_t rule = dm != NULL ? idx[R_DAMAGED]
			            : w->kind == RECONCILE_INV_ONLY
			                  ? idx[R_INV_ONLY]
			                  : w->count < RECONCILE_WINDOW_HIGH ? idx[R_CT_ONLY]
			                  : w->cause[0] ? idx[R_CALLS_LOGGING_OFF]
			                  : w->not_yet_on ? idx[R_CALLS_BEFORE_LOGGING] : idx[R_GAP_LOGGING];
			for (size_t k = 0; k < w->count && st == LT_OK; k++, pos++) {
				if (!have || h.pos != pos)
					continue; /* not found again: left out, as a vanished record would be */
				st = event_hit(rep, rule, &h, &g, detail, err);
				have = recq_hit_next(q, &h);
			}
			continue;
		}
		builtin_hit bh;
		memset(&bh, 0, sizeof bh);
		char uid[300];
		snprintf(uid, sizeof uid, "%s:%s", kind_name(w->kind), gv);
		bh.source = "reconcile";
		bh.uid = uid;
		bh.group_name = "window";
		bh.group_value = gv;
		bh.time_us = w->first_us;
		bh.account = w->account;
		bh.region = w->region;
		bh.detail_field = "reconciliation";
		bh.detail = detail;
		size_t rule = dm != NULL && w->cause[0] == '\0' ? idx[R_DAMAGED]
		            : w->kind == RECONCILE_GAP_CT ? (w->cause[0] ? idx[R_GAP_CT_STOPPED] : idx[R_GAP_CT])
		                                          : (w->cause[0] ? idx[R_GAP_INV_OFF] : idx[R_GAP_INV]);
		st = builtin_add_hit(rep, rule, &bh, err);
	}
	return st;
}

/* The wanted records, sorted by ordinal; *n of them (0: nothing to read back). */
static lt_status wanted_records(const reconcile_result *r, wanted **out, size_t *n, lt_error *err)
{
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < r->nw; i++)
		if (is_record_window(&r->out[i]))
			*n += r->out[i].count;
	if (*n == 0)
		return LT_OK;
	wanted *v = malloc(*n * sizeof *v);
	if (v == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < r->nw; i++) {
		const reconcile_window *w = &r->out[i];
		for (size_t j = 0; is_record_window(w) && j < w->count; j++, k++)
			v[k] = (wanted){w->ids[j], (int64_t)k};
	}
	lt_sort(v, *n, sizeof *v, cmp_wanted);
	*out = v;
	return LT_OK;
}

lt_status reconcile_add_to_report(const reconcile_result *r, case_db *c, report *rep, lt_error *err)
{
	size_t idx[R_COUNT];
	lt_status st = LT_OK;
	for (int i = 0; i < R_COUNT && st == LT_OK; i++)
		st = builtin_add_rule(rep, &rules[i], &idx[i], err);
	if (st == LT_OK && !r->applicable) {
		const char *why = "needs both CloudTrail Bedrock runtime calls and invocation-log records in the case";
		st = report_set_rule_outcome(rep, idx[R_GAP_LOGGING], RPT_NOT_APPLICABLE, why, err);
		if (st == LT_OK)
			st = report_set_rule_outcome(rep, idx[R_CT_ONLY], RPT_NOT_APPLICABLE, why, err);
		if (st == LT_OK)
			st = report_set_rule_outcome(rep, idx[R_INV_ONLY], RPT_NOT_APPLICABLE, why, err);
	}
	if (st == LT_OK)
		st = add_summary_table(r, rep, err);
	damaged_set ds = {NULL, 0};
	if (st == LT_OK && r->nw > 0)
		st = case_damaged_members(c, RECONCILE_MAX_DAMAGED, add_damaged, &ds, err);
	wanted *want = NULL;
	size_t nwant = 0;
	if (st == LT_OK)
		st = wanted_records(r, &want, &nwant, err);
	if (st != LT_OK || nwant == 0) {
		free(want);
		if (st == LT_OK)
			st = add_windows(r, NULL, rep, idx, &ds, err);
		damaged_free(&ds);
		return st;
	}
	recq *q = NULL;
	st = recq_hits_open(c, &q, err);
	if (st != LT_OK) {
		free(want);
		damaged_free(&ds);
		return st;
	}
	st = collect_hits(r, c, q, want, nwant, err);
	free(want);
	if (st == LT_OK)
		st = add_windows(r, q, rep, idx, &ds, err);
	damaged_free(&ds);
	return recq_close(q, st, err);
}

lt_status reconcile_write(const reconcile_result *r, const char *format, buf *out)
{
	const reconcile_summary *s = &r->sum;
	int json = format != NULL && strcmp(format, "json") == 0;
	lt_status st;
	if (json)
		st = buf_printf(out,
		                "{\"applicable\":%s,\"ct_calls\":%zu,\"ct_calls_error\":%zu,\"inv_records\":%zu,"
		                "\"matched_request\":%zu,\"matched_weak\":%zu,\"ct_only\":%zu,\"ct_only_error\":%zu,"
		                "\"inv_only\":%zu,\"inv_only_uncovered\":%zu,\"gaps\":%zu,\"windows\":[",
		                r->applicable ? "true" : "false", s->ct_calls, s->ct_calls_error, s->inv_records,
		                s->matched_request, s->matched_weak, s->ct_only, s->ct_only_error, s->inv_only,
		                s->inv_only_uncovered, s->gaps);
	else
		st = buf_printf(out,
		                "reconciliation: %zu CloudTrail runtime calls (%zu with error), %zu invocation records;"
		                " matched %zu by request id, %zu weakly; %zu calls without record, %zu records without "
		                "call (%zu more where CloudTrail is silent); %zu coverage gaps\n",
		                s->ct_calls, s->ct_calls_error, s->inv_records, s->matched_request, s->matched_weak,
		                s->ct_only, s->inv_only, s->inv_only_uncovered, s->gaps);
	for (size_t i = 0; i < r->nw && st == LT_OK; i++) {
		const reconcile_window *w = &r->out[i];
		char a[LTIME_BUFSZ], b[LTIME_BUFSZ], detail[512];
		ltime_format(w->first_us, 0, a);
		ltime_format(w->last_us, 0, b);
		describe(w, detail, sizeof detail);
		if (json) {
			st = buf_printf(out, "%s{\"kind\":\"%s\",\"from\":\"%s\",\"until\":\"%s\",\"count\":%zu,\"matched\":%zu,"
			                     "\"account\":",
			                i ? "," : "", kind_name(w->kind), a, b, w->count, w->matched);
			if (st == LT_OK)
				st = json_write_string(out, w->account, strlen(w->account));
			if (st == LT_OK)
				st = buf_puts(out, ",\"region\":");
			if (st == LT_OK)
				st = json_write_string(out, w->region, strlen(w->region));
			if (st == LT_OK)
				st = buf_putc(out, '}');
		} else {
			st = buf_printf(out, "  %-16s ", kind_name(w->kind));
			if (st == LT_OK)
				st = case_escape_text(out, detail, strlen(detail));
			if (st == LT_OK)
				st = buf_putc(out, '\n');
		}
	}
	if (st == LT_OK && json)
		st = buf_puts(out, "]}");
	return st;
}
