/*
 * sigma_corr.c — correlation rules over the replay (see sigma_corr.h).
 *
 * State is per correlation rule and per group (the group-by values of the
 * event, joined into one key, in an open-addressed hash table). Each group
 * keeps a ring buffer of the matched events inside the window, 32 bytes an
 * event: its time, its place in the replay (seq, and source + tie, which find
 * it again in the case) and its value (a number, or a pointer to the group's
 * counted copy). Nothing of the event's content is copied: a fired
 * correlation hands out the places of all its events (each is counted in the
 * finding and marked in timeline.csv) and the caller reads back the headers
 * of the few a finding shows. On each fed event the
 * window is trimmed to [t - timespan, t], the aggregate of the type is
 * brought up to date, and the condition is checked. When it holds the
 * window's events are handed out as the finding and the group starts afresh.
 * The aggregates do not depend on the ring (which only lists, capped):
 * sliding count/sum/avg keep cells of equal event time (time, n, sum, min,
 * max; a burst in one second is one cell), exact whatever the number of
 * events; value_count keeps each value's latest time in a hash table with a
 * list in time order, the oldest expiring first. Past their cap a group's
 * cells are merged pairwise (coarser times, same totals) and a value_count
 * group forgets its least recent value: the aggregate becomes an interval,
 * the condition is decided when it holds (or fails) over all of it, and an
 * evaluation left undecided does not fire and is counted (never a guess).
 * value_percentile keeps the window's numbers in a sorted array as well
 * (binary search + memmove on each push/drop, at most SIGMA_CORR_MAX_WINDOW).
 * Upper-bound-only conditions use fixed windows instead: the first event of a
 * group opens [t, t + timespan]; windows open in time order, so their ends
 * are queued in a FIFO and sigma_corr_expire pops those that ended (a
 * generation number makes entries of windows closed otherwise stale).
 * https://github.com/SigmaHQ/sigma-specification (sigma-correlation-rules-specification.md)
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#include "common/hash.h"
#endif
#include "analyzers/sigma/sigma_corr.h"

#include "ingest/sha256.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE INT64_MIN
#define WINDOW_KEEP 64 /* ring slots a group keeps when its window empties */
#define VNONE UINT32_MAX

/* One matched event in a window: what the condition needs (time, value) and
 * where the event is (sigma_corr_event). 32 bytes, no allocation. */
typedef struct wentry {
	int64_t time_us;
	uint64_t seq; /* event.seq */
	double num;   /* value_percentile (and the fixed windows' sum, undone on out of memory) */
	uint32_t tie; /* event.tie */
	uint8_t source;
} wentry;

/* Sliding count/sum/avg: the window's events of one time (a merged cell:
 * of a time range), oldest first. */
typedef struct cell {
	int64_t lo, hi; /* times of its oldest and newest event */
	uint64_t n;
	double sum, vmin, vmax;
} cell;

/* value_count identifies a value by SIGMA_CORR_VALUE_ID bytes of the SHA-256
 * of all of it: 60,000 distinct 2 KB user agents are 60,000 values (not one,
 * as when values were cut to a prefix). A value in the window is a slot of
 * an open-addressed table, linked in the order of its latest time. */
enum { V_EMPTY = 0, V_LIVE, V_TOMB };
typedef struct vnode {
	unsigned char id[SIGMA_CORR_VALUE_ID];
	int64_t last;          /* its latest time */
	uint32_t older, newer; /* slots, VNONE at the ends */
	uint8_t state;
} vnode;

/* An aggregate known to lie in [lo, hi] (lo == hi: exact). */
typedef struct range {
	double lo, hi;
} range;

typedef struct group {
	char *key;
	wentry *w; /* ring buffer */
	size_t head, n, cap;
	int64_t *mark; /* temporal: last time per ref; ordered: chain start per step */
	double *sorted; /* value_percentile: the window's numbers, ascending */
	size_t nsorted, csorted;
	/* fixed windows (upper bound only) */
	bool open;
	int64_t wend;   /* last time inside the window */
	uint64_t gen;   /* windows opened so far */
	uint64_t total; /* events fed to the open window (exact, beyond the cap) */
	double tsum;    /* their sum (value_sum / value_avg) */
	/* sliding event_count / value_sum / value_avg: cells (ring) and their totals */
	cell *cells;
	size_t chead, cn, ccap;
	uint64_t an;
	double asum;
	/* value_count: the values in the window */
	vnode *vc;
	size_t vcap, vlive, vtomb;
	uint32_t voldest, vnewest;
	uint64_t evicted;     /* values forgotten for room and maybe still in the window */
	int64_t evicted_last; /* the latest time of those */
} group;

typedef struct qent {
	group *g;
	int64_t end;
	uint64_t gen;
} qent;

typedef struct alias {
	const char *name; /* group-by name */
	const char *rule; /* rule name */
	const char *field;
} alias;

struct sigma_corr {
	int type;
	const char **refs;
	size_t nrefs;
	const char **groupby;
	size_t ngroup;
	alias *aliases;
	size_t naliases;
	int64_t span;
	bool has[5]; /* gt gte lt lte eq */
	double bound[5];
	bool has_pct;
	double pct;    /* value_percentile: 0..100 */
	bool at_close; /* upper bound only: fixed windows evaluated when they close */
	qent *q;       /* fixed windows by end time (FIFO ring) */
	size_t qhead, qn, qcap;
	const char *field;
	bool generate;
	group **tab;
	size_t tabcap, ngroups;
	int64_t last_sweep; /* replay time of the last sweep of idle groups */
	uint64_t feeds;     /* feeds since then */
	sigma_corr_event *out;
	size_t nout;
	char *out_group;
	size_t *used;     /* events kept, shared with other correlations (NULL: no budget) */
	size_t used_max;
	size_t *sused;    /* cells and values kept, shared likewise (NULL: no budget) */
	size_t sused_max;
	uint64_t dropped;   /* events dropped from full windows that changed a percentile */
	uint64_t unlisted;  /* events dropped from full windows (their findings list the newest) */
	uint64_t undecided; /* evaluations an interval left undecided (not fired) */
};

enum { C_GT = 0, C_GTE, C_LT, C_LTE, C_EQ };
static const char *const cond_names[] = {"gt", "gte", "lt", "lte", "eq"};

static const char *const type_names[] = {"event_count", "value_count", "value_sum",
                                         "value_avg", "temporal", "temporal_ordered",
                                         "value_percentile"};
#define NTYPES (sizeof type_names / sizeof type_names[0])

/* ---------------------------------------------------------------- parsing */

int64_t sigma_corr_timespan(const char *s)
{
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	char *end;
	long long v = strtoll(s, &end, 10);
	int64_t unit = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600
	               : end[0] == 'd' ? 86400 : 0;
	if (unit == 0 || end[1] != '\0' || v <= 0 || v > 100LL * 365 * 86400 / unit)
		return -1;
	return (int64_t)v * unit * 1000000;
}

static lt_status bad(const sigma_ynode *n, lt_error *err, const char *msg)
{
	lt_error_where(err, NULL, NULL, n ? n->line : 0);
	return lt_error_set(err, LT_EITEM, "correlation: %s", msg);
}

static bool str_list(arena *a, const sigma_ynode *n, const char ***v, size_t *cnt)
{
	*cnt = 0;
	size_t k = n == NULL ? 0 : n->type == SIGMA_Y_SEQ ? n->len : 1;
	*v = arena_calloc(a, (k + 1) * sizeof **v);
	if (*v == NULL)
		return false;
	for (size_t i = 0; i < k; i++) {
		const sigma_ynode *it = n->type == SIGMA_Y_SEQ ? n->items[i] : n;
		if (it->type == SIGMA_Y_SCALAR && !sigma_yaml_is_null(it))
			(*v)[(*cnt)++] = it->s;
	}
	return true;
}

static lt_status parse_condition(sigma_corr *c, const sigma_ynode *cond, lt_error *err)
{
	if (cond == NULL) {
		if (c->type == SIGMA_CORR_TEMPORAL || c->type == SIGMA_CORR_TEMPORAL_ORDERED) {
			c->has[C_GTE] = true; /* all referenced rules */
			c->bound[C_GTE] = (double)c->nrefs;
			return LT_OK;
		}
		return bad(cond, err, "missing condition");
	}
	if (cond->type != SIGMA_Y_MAP)
		return bad(cond, err, "condition must be a mapping (gt, gte, lt, lte, eq)");
	for (size_t i = 0; i < cond->len; i++) {
		const char *k = cond->pairs[i].key->s;
		const char *v = sigma_yaml_str(cond->pairs[i].value);
		if (strcmp(k, "field") == 0) {
			c->field = v;
			continue;
		}
		if (strcmp(k, "percentile") == 0) {
			char *end;
			if (v == NULL || v[0] == '\0' || (c->pct = strtod(v, &end), *end != '\0') ||
			    !(c->pct >= 0.0 && c->pct <= 100.0))
				return bad(cond->pairs[i].value, err, "percentile must be a number from 0 to 100");
			c->has_pct = true;
			continue;
		}
		size_t j = 0;
		while (j < 5 && strcmp(k, cond_names[j]) != 0)
			j++;
		char *end;
		if (j == 5)
			return bad(cond->pairs[i].key, err, "unknown condition operator");
		if (v == NULL || (c->bound[j] = strtod(v, &end), *end != '\0' || v[0] == '\0'))
			return bad(cond->pairs[i].value, err, "condition bound must be a number");
		c->has[j] = true;
	}
	return LT_OK;
}

static lt_status parse_aliases(arena *a, sigma_corr *c, const sigma_ynode *al, lt_error *err)
{
	if (al == NULL)
		return LT_OK;
	if (al->type != SIGMA_Y_MAP)
		return bad(al, err, "aliases must be a mapping");
	size_t total = 0;
	for (size_t i = 0; i < al->len; i++)
		total += al->pairs[i].value->type == SIGMA_Y_MAP ? al->pairs[i].value->len : 0;
	c->aliases = arena_calloc(a, (total + 1) * sizeof *c->aliases);
	if (c->aliases == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	for (size_t i = 0; i < al->len; i++) {
		const sigma_ynode *m = al->pairs[i].value;
		if (m->type != SIGMA_Y_MAP)
			return bad(m, err, "an alias maps rule names to fields");
		for (size_t k = 0; k < m->len; k++) {
			const char *f = sigma_yaml_str(m->pairs[k].value);
			if (f == NULL)
				return bad(m->pairs[k].value, err, "alias field must be a string");
			c->aliases[c->naliases++] = (alias){al->pairs[i].key->s, m->pairs[k].key->s, f};
		}
	}
	return LT_OK;
}

lt_status sigma_corr_parse(arena *a, const sigma_ynode *node, sigma_corr **out, bool *unsupported,
                           lt_error *err)
{
	*out = NULL;
	*unsupported = false;
	if (node == NULL || node->type != SIGMA_Y_MAP)
		return bad(node, err, "the correlation section must be a mapping");
	sigma_corr *c = calloc(1, sizeof *c);
	if (c == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	*out = c;
	const char *type = sigma_yaml_str(sigma_yaml_get(node, "type"));
	c->type = -1;
	for (size_t i = 0; type && i < NTYPES; i++)
		if (strcmp(type, type_names[i]) == 0)
			c->type = (int)i;
	if (c->type < 0) {
		*unsupported = type != NULL && strncmp(type, "value_", 6) == 0;
		return bad(sigma_yaml_get(node, "type"), err,
		           *unsupported ? "this correlation type is not supported" : "unknown correlation type");
	}
	if (!str_list(a, sigma_yaml_get(node, "rules"), &c->refs, &c->nrefs) ||
	    !str_list(a, sigma_yaml_get(node, "group-by"), &c->groupby, &c->ngroup))
		return lt_error_set(err, LT_EFATAL, "out of memory");
	if (c->nrefs == 0)
		return bad(node, err, "no rules referenced");
	const sigma_ynode *ts = sigma_yaml_get(node, "timespan");
	c->span = sigma_corr_timespan(sigma_yaml_str(ts));
	if (c->span < 0)
		return bad(ts ? ts : node, err, "timespan must be a number and s, m, h or d (e.g. 30m)");
	lt_status st = parse_condition(c, sigma_yaml_get(node, "condition"), err);
	if (st == LT_OK)
		st = parse_aliases(a, c, sigma_yaml_get(node, "aliases"), err);
	if (st != LT_OK)
		return st;
	bool gen = false;
	if (sigma_yaml_bool(sigma_yaml_get(node, "generate"), &gen))
		c->generate = gen;
	bool value_type = (c->type >= SIGMA_CORR_VALUE_COUNT && c->type <= SIGMA_CORR_VALUE_AVG) ||
	                  c->type == SIGMA_CORR_VALUE_PERCENTILE;
	if (value_type && c->field == NULL)
		return bad(node, err, "this correlation type needs condition.field");
	if ((c->type == SIGMA_CORR_VALUE_PERCENTILE) != c->has_pct)
		return bad(sigma_yaml_get(node, "condition"), err,
		           c->has_pct ? "condition.percentile is only for value_percentile"
		                      : "value_percentile needs condition.percentile (0 to 100)");
	if (!c->has[C_GT] && !c->has[C_GTE] && !c->has[C_EQ]) {
		if (!c->has[C_LT] && !c->has[C_LTE])
			return bad(sigma_yaml_get(node, "condition"), err,
			           "the condition needs a bound (gt, gte, lt, lte or eq)");
		c->at_close = true;
	}
	return LT_OK;
}

/* ---------------------------------------------------------------- accessors */

int sigma_corr_type(const sigma_corr *c) { return c->type; }
bool sigma_corr_generate(const sigma_corr *c) { return c->generate; }
size_t sigma_corr_nrefs(const sigma_corr *c) { return c->nrefs; }
const char *sigma_corr_ref(const sigma_corr *c, size_t i) { return c->refs[i]; }
size_t sigma_corr_ngroup(const sigma_corr *c) { return c->ngroup; }
const char *sigma_corr_value_field(const sigma_corr *c) { return c->field; }
bool sigma_corr_at_close(const sigma_corr *c) { return c->at_close; }
int64_t sigma_corr_span(const sigma_corr *c) { return c->span; }
double sigma_corr_percentile(const sigma_corr *c) { return c->has_pct ? c->pct : 0.0; }

bool sigma_corr_bound(const sigma_corr *c, const char *op, double *v)
{
	for (size_t j = 0; j < 5; j++)
		if (strcmp(op, cond_names[j]) == 0 && c->has[j]) {
			*v = c->bound[j];
			return true;
		}
	return false;
}

const char *sigma_corr_group_field(const sigma_corr *c, size_t i, const char *rule_name)
{
	for (size_t k = 0; rule_name != NULL && k < c->naliases; k++)
		if (strcmp(c->aliases[k].name, c->groupby[i]) == 0 &&
		    strcmp(c->aliases[k].rule, rule_name) == 0)
			return c->aliases[k].field;
	return c->groupby[i];
}

/* ---------------------------------------------------------------- state */

static void free_out(sigma_corr *c)
{
	free(c->out);
	free(c->out_group);
	c->out = NULL;
	c->out_group = NULL;
	c->nout = 0;
}

static wentry *at(group *g, size_t i)
{
	return &g->w[(g->head + i) % g->cap];
}

/* ---- value_count: occurrences of each value in the window */

static size_t hash_val(const unsigned char *id)
{
	uint64_t h;
	memcpy(&h, id, sizeof h); /* already a cryptographic hash */
	return (size_t)h;
}

static bool sigma_corr_value_id(const char *val, size_t n, unsigned char id[SIGMA_CORR_VALUE_ID])
{
	static const char empty[1] = "";
	char hex[SHA256_HEX_LEN + 1];
	if (sha256_hex(val ? val : empty, val ? n : 0, hex) != LT_OK)
		return false;
	for (size_t i = 0; i < SIGMA_CORR_VALUE_ID; i++) {
		unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
		unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10);
		id[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

lt_status sigma_corr_key_append(buf *b, const char *t, size_t n)
{
	if (t == NULL)
		return LT_OK;
	if (n <= SIGMA_CORR_KEY_TEXT)
		return buf_append(b, t, n);
	return sha256_abbrev(b, t, n, SIGMA_CORR_KEY_PREFIX);
}

/* The shared state budget is spent (a group that holds nothing still takes one). */
static bool state_full(const sigma_corr *c, size_t held)
{
	return held > 0 && c->sused != NULL && *c->sused >= c->sused_max;
}

static void state_add(sigma_corr *c, long d)
{
	if (c->sused != NULL)
		*c->sused = (size_t)((long)*c->sused + d);
}

/* ---- value_count: the values in the window, by their latest time */

/* The slot holding id, or (found false) the slot to put it in. */
static uint32_t vc_probe(const group *g, const unsigned char *id, bool *found)
{
	size_t mask = g->vcap - 1, h = hash_val(id) & mask;
	size_t tomb = SIZE_MAX;
	for (;;) {
		const vnode *v = &g->vc[h];
		if (v->state == V_EMPTY)
			break;
		if (v->state == V_TOMB && tomb == SIZE_MAX)
			tomb = h;
		if (v->state == V_LIVE && memcmp(v->id, id, SIGMA_CORR_VALUE_ID) == 0) {
			*found = true;
			return (uint32_t)h;
		}
		h = (h + 1) & mask;
	}
	*found = false;
	return (uint32_t)(tomb != SIZE_MAX ? tomb : h);
}

static void vc_unlink(group *g, uint32_t i)
{
	vnode *v = &g->vc[i];
	if (v->older != VNONE)
		g->vc[v->older].newer = v->newer;
	else
		g->voldest = v->newer;
	if (v->newer != VNONE)
		g->vc[v->newer].older = v->older;
	else
		g->vnewest = v->older;
}

static void vc_link_newest(group *g, uint32_t i)
{
	vnode *v = &g->vc[i];
	v->older = g->vnewest;
	v->newer = VNONE;
	if (g->vnewest != VNONE)
		g->vc[g->vnewest].newer = i;
	else
		g->voldest = i;
	g->vnewest = i;
}

static void vc_forget_oldest(sigma_corr *c, group *g)
{
	uint32_t i = g->voldest;
	vc_unlink(g, i);
	g->vc[i].state = V_TOMB;
	g->vlive--;
	g->vtomb++;
	state_add(c, -1);
}

/* Moves the live values, oldest first, into a table with room to grow. */
static bool vc_rebuild(group *g)
{
	size_t nc = 64;
	while (nc < 4 * (g->vlive + 1))
		nc *= 2;
	vnode *nt = calloc(nc, sizeof *nt);
	if (nt == NULL)
		return false;
	vnode *old = g->vc;
	uint32_t i = g->voldest;
	g->vc = nt;
	g->vcap = nc;
	g->vtomb = 0;
	g->voldest = g->vnewest = VNONE;
	while (i != VNONE) {
		bool found;
		uint32_t k = vc_probe(g, old[i].id, &found);
		nt[k] = old[i];
		vc_link_newest(g, k);
		i = old[i].newer;
	}
	free(old);
	return true;
}

/* Notes an occurrence of value id at time t. Past the group's cap or the
 * shared budget the least recent value is forgotten (g->evicted: the
 * distinct count is then known only within [vlive, vlive + evicted]).
 * False when out of memory (nothing noted). */
static bool vc_touch(sigma_corr *c, group *g, const unsigned char *id, int64_t t)
{
	bool found = false;
	uint32_t k = g->vcap ? vc_probe(g, id, &found) : 0;
	if (found) {
		g->vc[k].last = t;
		vc_unlink(g, k);
		vc_link_newest(g, k);
		return true;
	}
	if (g->vlive >= SIGMA_CORR_MAX_CELLS || state_full(c, g->vlive)) {
		int64_t last = g->vc[g->voldest].last;
		g->evicted_last = g->evicted ? (last > g->evicted_last ? last : g->evicted_last) : last;
		g->evicted++;
		vc_forget_oldest(c, g);
	}
	if ((g->vlive + g->vtomb + 1) * 2 > g->vcap) {
		if (!vc_rebuild(g))
			return false;
	}
	k = vc_probe(g, id, &found);
	if (g->vc[k].state == V_TOMB)
		g->vtomb--;
	memcpy(g->vc[k].id, id, SIGMA_CORR_VALUE_ID);
	g->vc[k].last = t;
	g->vc[k].state = V_LIVE;
	vc_link_newest(g, k);
	g->vlive++;
	state_add(c, 1);
	return true;
}

/* Forgets the values last seen before start (sliding windows). */
static void vc_expire(sigma_corr *c, group *g, int64_t start)
{
	while (g->voldest != VNONE && g->vc[g->voldest].last < start)
		vc_forget_oldest(c, g);
	if (g->evicted && g->evicted_last < start)
		g->evicted = 0; /* every forgotten value has left the window */
}

static range vc_range(const group *g)
{
	return (range){(double)g->vlive, (double)(g->vlive + g->evicted)};
}

static void vc_free(sigma_corr *c, group *g)
{
	state_add(c, -(long)g->vlive);
	free(g->vc);
	g->vc = NULL;
	g->vcap = g->vlive = g->vtomb = 0;
	g->voldest = g->vnewest = VNONE;
	g->evicted = 0;
}

/* ---- sliding event_count / value_sum / value_avg: cells of equal time */

static cell *cell_at(group *g, size_t i)
{
	return &g->cells[(g->chead + i) % g->ccap];
}

static void cell_merge(cell *into, const cell *b)
{
	into->hi = b->hi;
	into->n += b->n;
	into->sum += b->sum;
	into->vmin = b->vmin < into->vmin ? b->vmin : into->vmin;
	into->vmax = b->vmax > into->vmax ? b->vmax : into->vmax;
}

/* Merges neighbours pairwise (oldest first): half the cells, same totals. */
static void cells_halve(sigma_corr *c, group *g)
{
	size_t k = 0;
	for (size_t i = 0; i < g->cn; i += 2, k++) {
		cell m = *cell_at(g, i);
		if (i + 1 < g->cn)
			cell_merge(&m, cell_at(g, i + 1));
		*cell_at(g, k) = m;
	}
	state_add(c, -(long)(g->cn - k));
	g->cn = k;
}

static bool cells_grow(group *g)
{
	size_t nc = g->ccap ? g->ccap * 2 : 8;
	if (nc > SIGMA_CORR_MAX_CELLS)
		nc = SIGMA_CORR_MAX_CELLS;
	cell *n = malloc(nc * sizeof *n);
	if (n == NULL)
		return false;
	for (size_t i = 0; i < g->cn; i++)
		n[i] = *cell_at(g, i);
	free(g->cells);
	g->cells = n;
	g->ccap = nc;
	g->chead = 0;
	return true;
}

static bool cell_add(sigma_corr *c, group *g, int64_t t, double num)
{
	g->an++;
	g->asum += num;
	if (g->cn > 0 && cell_at(g, g->cn - 1)->hi == t) {
		cell_merge(cell_at(g, g->cn - 1), &(cell){t, t, 1, num, num, num});
		return true;
	}
	if (g->cn == SIGMA_CORR_MAX_CELLS || state_full(c, g->cn))
		cells_halve(c, g);
	if (g->cn == g->ccap && !cells_grow(g)) {
		g->an--;
		g->asum -= num;
		return false;
	}
	*cell_at(g, g->cn++) = (cell){t, t, 1, num, num, num};
	state_add(c, 1);
	return true;
}

/* Drops the cells wholly before start. */
static void cells_expire(sigma_corr *c, group *g, int64_t start)
{
	while (g->cn > 0 && cell_at(g, 0)->hi < start) {
		g->an -= cell_at(g, 0)->n;
		g->asum -= cell_at(g, 0)->sum;
		g->chead = (g->chead + 1) % g->ccap;
		g->cn--;
		state_add(c, -1);
	}
	if (g->cn == 0) {
		g->an = 0;
		g->asum = 0.0; /* no rounding carried into the next burst */
	}
}

/* The count, sum or average of the events in [start, now]. Exact unless the
 * oldest cell is a merged one that straddles start: some of its events are
 * in (at least its newest), which ones is not known. */
static range cells_range(const sigma_corr *c, group *g, int64_t start)
{
	double n = (double)g->an, sum = g->asum;
	if (g->cn == 0)
		return (range){0.0, 0.0};
	const cell *h = cell_at(g, 0);
	bool straddles = h->lo < start;
	if (c->type == SIGMA_CORR_EVENT_COUNT)
		return straddles ? (range){n - (double)h->n + 1.0, n} : (range){n, n};
	if (!straddles)
		return c->type == SIGMA_CORR_VALUE_SUM ? (range){sum, sum} : (range){sum / n, sum / n};
	double rn = n - (double)h->n, rsum = sum - h->sum;
	if (c->type == SIGMA_CORR_VALUE_SUM) { /* k of its n events, each in [vmin, vmax] */
		double lo = h->vmin >= 0 ? h->vmin : (double)h->n * h->vmin;
		double hi = h->vmax <= 0 ? h->vmax : (double)h->n * h->vmax;
		return (range){rsum + lo, rsum + hi};
	}
	if (rn == 0) /* an average of some of its values */
		return (range){h->vmin, h->vmax};
	double ravg = rsum / rn; /* a weighted mean of the rest's and those values' */
	return (range){ravg < h->vmin ? ravg : h->vmin, ravg > h->vmax ? ravg : h->vmax};
}

static void cells_free(sigma_corr *c, group *g)
{
	state_add(c, -(long)g->cn);
	free(g->cells);
	g->cells = NULL;
	g->chead = g->cn = g->ccap = 0;
	g->an = 0;
	g->asum = 0.0;
}

static bool cell_type(const sigma_corr *c)
{
	return !c->at_close && (c->type == SIGMA_CORR_EVENT_COUNT || c->type == SIGMA_CORR_VALUE_SUM ||
	                        c->type == SIGMA_CORR_VALUE_AVG);
}

/* ---- value_percentile: the window's numbers, ascending */

/* Index of the first element >= x. */
static size_t sorted_lower(const group *g, double x)
{
	size_t lo = 0, hi = g->nsorted;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->sorted[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool sorted_add(group *g, double x)
{
	if (g->nsorted == g->csorted) {
		size_t nc = g->csorted ? g->csorted * 2 : 8;
		double *ns = realloc(g->sorted, nc * sizeof *ns);
		if (ns == NULL)
			return false;
		g->sorted = ns;
		g->csorted = nc;
	}
	size_t i = sorted_lower(g, x);
	memmove(&g->sorted[i + 1], &g->sorted[i], (g->nsorted - i) * sizeof *g->sorted);
	g->sorted[i] = x;
	g->nsorted++;
	return true;
}

static void sorted_remove(group *g, double x)
{
	size_t i = sorted_lower(g, x);
	if (i >= g->nsorted || g->sorted[i] != x)
		return;
	memmove(&g->sorted[i], &g->sorted[i + 1], (g->nsorted - i - 1) * sizeof *g->sorted);
	g->nsorted--;
}

/* Nearest rank: the smallest kept value with at least pct% of the values at
 * or below it (rank ceil(pct/100 * n), at least 1). */
static double percentile(const sigma_corr *c, const group *g)
{
	if (g->nsorted == 0)
		return 0.0;
	double x = c->pct * (double)g->nsorted / 100.0;
	size_t r = (size_t)x;
	if ((double)r < x)
		r++;
	if (r < 1)
		r = 1;
	if (r > g->nsorted)
		r = g->nsorted;
	return g->sorted[r - 1];
}

static void drop_oldest(sigma_corr *c, group *g)
{
	wentry *e = at(g, 0);
	if (c->type == SIGMA_CORR_VALUE_PERCENTILE)
		sorted_remove(g, e->num);
	g->head = (g->head + 1) % g->cap;
	g->n--;
	if (c->used != NULL)
		(*c->used)--;
}

static void clear_group(sigma_corr *c, group *g)
{
	while (g->n > 0)
		drop_oldest(c, g);
	if (g->cap > WINDOW_KEEP) { /* a burst's ring is not kept for a quiet group */
		free(g->w);
		g->w = NULL;
		g->cap = g->head = 0;
	}
	vc_free(c, g);
	cells_free(c, g);
	for (size_t i = 0; i < c->nrefs; i++)
		g->mark[i] = NONE;
	g->nsorted = 0;
	g->open = false;
	g->total = 0;
	g->tsum = 0.0;
}

static void free_group(sigma_corr *c, group *g)
{
	clear_group(c, g);
	free(g->w);
	free(g->mark);
	free(g->sorted);
	free(g->key);
	free(g);
}

void sigma_corr_reset(sigma_corr *c)
{
	for (size_t i = 0; i < c->tabcap; i++)
		if (c->tab[i] != NULL) {
			free_group(c, c->tab[i]);
			c->tab[i] = NULL;
		}
	c->ngroups = 0;
	c->feeds = 0;
	c->last_sweep = 0;
	c->dropped = c->unlisted = c->undecided = 0;
	free_out(c);
	free(c->q);
	c->q = NULL;
	c->qhead = c->qn = c->qcap = 0;
}

void sigma_corr_set_budget(sigma_corr *c, size_t *used, size_t max, size_t *state_used, size_t state_max)
{
	c->used = used;
	c->used_max = max;
	c->sused = state_used;
	c->sused_max = state_max;
}

uint64_t sigma_corr_dropped(const sigma_corr *c)
{
	return c->dropped;
}

uint64_t sigma_corr_unlisted(const sigma_corr *c)
{
	return c->unlisted;
}

uint64_t sigma_corr_undecided(const sigma_corr *c)
{
	return c->undecided;
}

void sigma_corr_free(sigma_corr *c)
{
	if (c == NULL)
		return;
	sigma_corr_reset(c);
	free(c->tab);
	free(c);
}

static uint64_t hash_str(const char *s)
{
	return lt_fnv64_add_str(LT_FNV64_SEED_SHORT, s);
}

static bool rehash(sigma_corr *c)
{
	size_t nc = c->tabcap ? c->tabcap * 2 : 64;
	group **nt = calloc(nc, sizeof *nt);
	if (nt == NULL)
		return false;
	for (size_t i = 0; i < c->tabcap; i++)
		if (c->tab[i] != NULL) {
			size_t h = (size_t)hash_str(c->tab[i]->key) & (nc - 1);
			while (nt[h] != NULL)
				h = (h + 1) & (nc - 1);
			nt[h] = c->tab[i];
		}
	free(c->tab);
	c->tab = nt;
	c->tabcap = nc;
	return true;
}

static group *find_group(sigma_corr *c, const char *key)
{
	if ((c->ngroups + 1) * 2 > c->tabcap && !rehash(c))
		return NULL;
	size_t h = (size_t)hash_str(key) & (c->tabcap - 1);
	while (c->tab[h] != NULL) {
		if (strcmp(c->tab[h]->key, key) == 0)
			return c->tab[h];
		h = (h + 1) & (c->tabcap - 1);
	}
	if (c->ngroups >= SIGMA_CORR_MAX_GROUPS)
		return NULL;
	group *g = calloc(1, sizeof *g);
	if (g == NULL)
		return NULL;
	g->key = strdup(key);
	g->mark = malloc((c->nrefs + 1) * sizeof *g->mark);
	if (g->key == NULL || g->mark == NULL) {
		free(g->key);
		free(g->mark);
		free(g);
		return NULL;
	}
	for (size_t i = 0; i < c->nrefs; i++)
		g->mark[i] = NONE;
	g->voldest = g->vnewest = VNONE;
	c->tab[h] = g;
	c->ngroups++;
	return g;
}

/* Undoes the last push (out of memory for the sorted copy). */
static void drop_newest(sigma_corr *c, group *g)
{
	wentry *e = at(g, g->n - 1);
	g->tsum -= e->num;
	g->total--;
	g->n--;
	if (c->used != NULL)
		(*c->used)--;
}

/* Moves g's entries into a ring of nc slots (nc >= g->n). */
static bool ring_resize(group *g, size_t nc)
{
	wentry *nw = malloc(nc * sizeof *nw);
	if (nw == NULL)
		return false;
	for (size_t i = 0; i < g->n; i++)
		nw[i] = *at(g, i);
	free(g->w);
	g->w = nw;
	g->cap = nc;
	g->head = 0;
	return true;
}

/* A full window (its own cap, or the shared budget spent) makes room by
 * dropping its oldest event: its finding will not list it (counted), and for
 * value_percentile, whose numbers are the events kept, the aggregate changes
 * (counted too). The other aggregates are kept apart, exact. */
static void make_room(sigma_corr *c, group *g)
{
	if (g->n == SIGMA_CORR_MAX_WINDOW || (g->n > 0 && c->used != NULL && *c->used >= c->used_max)) {
		drop_oldest(c, g);
		c->unlisted++;
		c->dropped += c->type == SIGMA_CORR_VALUE_PERCENTILE;
	}
}

static bool push(sigma_corr *c, group *g, const event *ev, const char *val, size_t vn, double num)
{
	make_room(c, g);
	if (g->n == g->cap) {
		size_t nc = g->cap ? g->cap * 2 : 8;
		if (!ring_resize(g, nc < SIGMA_CORR_MAX_WINDOW ? nc : SIGMA_CORR_MAX_WINDOW))
			return false;
	}
	wentry *e = &g->w[(g->head + g->n) % g->cap];
	memset(e, 0, sizeof *e);
	e->time_us = ev->time_us;
	e->source = (uint8_t)ev->source;
	e->seq = ev->seq;
	e->tie = ev->tie;
	e->num = num;
	unsigned char id[SIGMA_CORR_VALUE_ID];
	if (c->type == SIGMA_CORR_VALUE_COUNT &&
	    (val == NULL || !sigma_corr_value_id(val, vn, id) || !vc_touch(c, g, id, ev->time_us)))
		return false;
	if (cell_type(c) && !cell_add(c, g, ev->time_us, num))
		return false;
	g->n++;
	if (c->used != NULL)
		(*c->used)++;
	g->total++;
	g->tsum += num;
	if (c->type == SIGMA_CORR_VALUE_PERCENTILE && !sorted_add(g, num)) {
		drop_newest(c, g);
		return false;
	}
	return true;
}

static bool cond_holds(const sigma_corr *c, double v)
{
	return (!c->has[C_GT] || v > c->bound[C_GT]) && (!c->has[C_GTE] || v >= c->bound[C_GTE]) &&
	       (!c->has[C_LT] || v < c->bound[C_LT]) && (!c->has[C_LTE] || v <= c->bound[C_LTE]) &&
	       (!c->has[C_EQ] || v == c->bound[C_EQ]);
}

/* Whether the condition holds somewhere in r (each bound reaches r). */
static bool may_hold(const sigma_corr *c, range r)
{
	return (!c->has[C_GT] || r.hi > c->bound[C_GT]) && (!c->has[C_GTE] || r.hi >= c->bound[C_GTE]) &&
	       (!c->has[C_LT] || r.lo < c->bound[C_LT]) && (!c->has[C_LTE] || r.lo <= c->bound[C_LTE]) &&
	       (!c->has[C_EQ] || (r.lo <= c->bound[C_EQ] && c->bound[C_EQ] <= r.hi));
}

/* The condition on an aggregate known within r: it holds over all of r (the
 * bounds make an interval, so both ends suffice), or nowhere in it; else
 * undecided, which does not fire and is counted. */
static bool decide(sigma_corr *c, range r)
{
	if (cond_holds(c, r.lo) && cond_holds(c, r.hi))
		return true;
	if (may_hold(c, r))
		c->undecided++;
	return false;
}

/* The aggregate the condition is about, after the event at time t. */
static range aggregate(sigma_corr *c, group *g, size_t ref, int64_t t)
{
	switch (c->type) {
	case SIGMA_CORR_EVENT_COUNT:
	case SIGMA_CORR_VALUE_SUM:
	case SIGMA_CORR_VALUE_AVG:
		return cells_range(c, g, t - c->span);
	case SIGMA_CORR_VALUE_COUNT:
		return vc_range(g);
	case SIGMA_CORR_VALUE_PERCENTILE: {
		double p = percentile(c, g);
		return (range){p, p};
	}
	case SIGMA_CORR_TEMPORAL: {
		g->mark[ref] = t;
		double k = 0;
		for (size_t i = 0; i < c->nrefs; i++)
			k += g->mark[i] != NONE && g->mark[i] >= t - c->span;
		return (range){k, k};
	}
	default: { /* temporal_ordered: mark[j] = latest start of a chain through step j */
		if (ref == 0)
			g->mark[0] = t;
		else if (g->mark[ref - 1] != NONE && g->mark[ref - 1] >= t - c->span &&
		         g->mark[ref - 1] > g->mark[ref])
			g->mark[ref] = g->mark[ref - 1];
		size_t k = 0;
		while (k < c->nrefs && g->mark[k] != NONE && g->mark[k] >= t - c->span)
			k++;
		return (range){(double)k, (double)k};
	}
	}
}

/* The time the condition's own events start at. Count and value types: the
 * window's first kept event. Temporal types: the window's events are every
 * match of the group within the timespan, but only those from the start of
 * the chain that met the condition on are its events (an earlier invocation
 * of the same key, hours before the enumeration, is not part of it):
 * temporal: the oldest of the latest mark of each referenced rule;
 * temporal_ordered: the start of the completed chain (mark of the last step). */
static int64_t firing_start(const sigma_corr *c, const group *g)
{
	if (c->at_close)
		return NONE; /* a fixed window's events are all of it */
	if (c->type == SIGMA_CORR_TEMPORAL_ORDERED && c->nrefs > 0)
		return g->mark[c->nrefs - 1];
	if (c->type != SIGMA_CORR_TEMPORAL)
		return NONE;
	int64_t start = INT64_MAX;
	for (size_t i = 0; i < c->nrefs; i++)
		if (g->mark[i] != NONE && g->mark[i] < start)
			start = g->mark[i];
	return start == INT64_MAX ? NONE : start;
}

static void hand_out(sigma_corr *c, group *g, double value, sigma_corr_fired *f)
{
	free_out(c);
	c->out = calloc(g->n + 1, sizeof *c->out);
	c->out_group = strdup(g->key);
	int64_t start = firing_start(c, g);
	size_t first = 0;
	while (first < g->n && at(g, first)->time_us < start)
		first++;
	f->first_us = first < g->n ? at(g, first)->time_us : 0;
	f->last_us = g->n ? at(g, g->n - 1)->time_us : 0;
	if (c->out != NULL) {
		for (size_t i = first; i < g->n; i++) {
			const wentry *e = at(g, i);
			c->out[i - first] = (sigma_corr_event){e->time_us, (ev_source)e->source, e->tie, e->seq};
		}
		c->nout = g->n - first;
	}
	clear_group(c, g);
	f->group = c->out_group ? c->out_group : "";
	f->value = value;
	f->events = c->out;
	f->nevents = c->nout;
}

/* ---- fixed windows (upper bound only) */

static bool q_push(sigma_corr *c, group *g)
{
	if (c->qn == c->qcap) {
		size_t nc = c->qcap ? c->qcap * 2 : 64;
		qent *nq = malloc(nc * sizeof *nq);
		if (nq == NULL)
			return false;
		for (size_t i = 0; i < c->qn; i++)
			nq[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = nq;
		c->qcap = nc;
		c->qhead = 0;
	}
	c->q[(c->qhead + c->qn) % c->qcap] = (qent){g, g->wend, g->gen};
	c->qn++;
	return true;
}

/* The aggregate of a fixed window, when it closes (value_count: see vc_range). */
static double window_value(const sigma_corr *c, const group *g)
{
	switch (c->type) {
	case SIGMA_CORR_EVENT_COUNT:
		return (double)g->total;
	case SIGMA_CORR_VALUE_COUNT:
		return (double)g->vlive;
	case SIGMA_CORR_VALUE_SUM:
		return g->tsum;
	case SIGMA_CORR_VALUE_AVG:
		return g->total ? g->tsum / (double)g->total : 0.0;
	case SIGMA_CORR_VALUE_PERCENTILE:
		return percentile(c, g);
	case SIGMA_CORR_TEMPORAL: {
		double k = 0;
		for (size_t i = 0; i < c->nrefs; i++)
			k += g->mark[i] != NONE;
		return k;
	}
	default: {
		size_t k = 0;
		while (k < c->nrefs && g->mark[k] != NONE)
			k++;
		return (double)k;
	}
	}
}

/* Closes g's window: true (and *f) when the condition holds. */
static bool close_window(sigma_corr *c, group *g, sigma_corr_fired *f)
{
	double v = window_value(c, g);
	range r = c->type == SIGMA_CORR_VALUE_COUNT ? vc_range(g) : (range){v, v};
	if (g->total > 0 && decide(c, r)) {
		hand_out(c, g, v, f);
		return true;
	}
	clear_group(c, g);
	return false;
}

bool sigma_corr_expire(sigma_corr *c, int64_t now, sigma_corr_fired *fired)
{
	while (c->at_close && c->qn > 0) {
		qent *e = &c->q[c->qhead];
		if (now != SIGMA_CORR_END && e->end >= now)
			return false;
		group *g = e->g;
		bool live = g->open && g->gen == e->gen;
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qn--;
		if (live && close_window(c, g, fired))
			return true;
	}
	return false;
}

/* A fixed-window event: opens the group's window if none is open. Returns
 * true (and *fired) only when the open window had ended unnoticed. */
static bool feed_fixed(sigma_corr *c, group *g, size_t ref, const char *value, size_t value_len,
                       double num, const event *ev, sigma_corr_fired *fired)
{
	int64_t t = ev->time_us;
	bool fire = false;
	if (g->open && t > g->wend)
		fire = close_window(c, g, fired);
	if (!g->open) {
		g->open = true;
		g->gen++;
		g->wend = t > INT64_MAX - c->span ? INT64_MAX - 1 : t + c->span;
		if (!q_push(c, g)) {
			g->open = false;
			return fire;
		}
	}
	if (push(c, g, ev, value, value_len, num))
		(void)aggregate(c, g, ref, t); /* temporal marks */
	return fire;
}

/* Sliding windows are trimmed when their own group gets an event; a group
 * that stops getting events would keep its window (and its copies of every
 * event in it) for the rest of the replay, so memory would grow with the case.
 * Every SWEEP_FEEDS feeds, once replay time has moved by a timespan, sweep:
 * trim every window to [t - timespan, t] and free groups left with nothing
 * that can still count. Fixed windows (at_close) are left to their queue. */
#define SWEEP_FEEDS 4096u

/* Drops what a sliding window holds from before start. */
static void trim(sigma_corr *c, group *g, int64_t start)
{
	while (g->n > 0 && at(g, 0)->time_us < start)
		drop_oldest(c, g);
	cells_expire(c, g, start);
	vc_expire(c, g, start);
}

static void sweep(sigma_corr *c, int64_t t)
{
	group **old = c->tab;
	size_t cap = c->tabcap;
	group **nt = calloc(cap, sizeof *nt);
	if (nt == NULL)
		return; /* try again at the next sweep */
	size_t kept = 0;
	for (size_t i = 0; i < cap; i++) {
		group *g = old[i];
		if (g == NULL)
			continue;
		trim(c, g, t - c->span);
		if (g->cap > WINDOW_KEEP && g->n < g->cap / 4) /* out of memory: the ring stays as is */
			(void)ring_resize(g, g->n * 2 > WINDOW_KEEP ? g->n * 2 : WINDOW_KEEP);
		bool live = g->n > 0 || g->cn > 0 || g->vlive > 0;
		for (size_t k = 0; k < c->nrefs && !live; k++)
			live = g->mark[k] != NONE && g->mark[k] >= t - c->span;
		if (!live) {
			free_group(c, g);
			continue;
		}
		size_t h = (size_t)hash_str(g->key) & (cap - 1);
		while (nt[h] != NULL)
			h = (h + 1) & (cap - 1);
		nt[h] = g;
		kept++;
	}
	free(old);
	c->tab = nt;
	c->ngroups = kept;
}

bool sigma_corr_feed(sigma_corr *c, size_t ref, const char *grp, const char *value,
                     size_t value_len, const event *ev, sigma_corr_fired *fired)
{
	if (!c->at_close && c->tabcap > 0 && ++c->feeds >= SWEEP_FEEDS &&
	    ev->time_us - c->last_sweep >= c->span) {
		sweep(c, ev->time_us);
		c->feeds = 0;
		c->last_sweep = ev->time_us;
	}
	double num = 0.0;
	if (c->type == SIGMA_CORR_VALUE_SUM || c->type == SIGMA_CORR_VALUE_AVG ||
	    c->type == SIGMA_CORR_VALUE_PERCENTILE) {
		char tmp[64], *end;
		if (value == NULL || value_len == 0 || value_len >= sizeof tmp)
			return false;
		memcpy(tmp, value, value_len);
		tmp[value_len] = '\0';
		num = strtod(tmp, &end);
		if (*end != '\0' || (c->type == SIGMA_CORR_VALUE_PERCENTILE && !isfinite(num)))
			return false;
	}
	if (c->type == SIGMA_CORR_VALUE_COUNT && value == NULL)
		return false;
	group *g = find_group(c, grp);
	if (g == NULL)
		return false;
	if (c->at_close)
		return feed_fixed(c, g, ref, value, value_len, num, ev, fired);
	int64_t t = ev->time_us;
	trim(c, g, t - c->span);
	if (!push(c, g, ev, value, value_len, num))
		return false;
	range v = aggregate(c, g, ref, t);
	if (!decide(c, v))
		return false;
	hand_out(c, g, v.lo, fired);
	return true;
}
