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
 * brought up to date (count, distinct values, running sum, last time per
 * referenced rule, or the latest chain start per step for temporal_ordered),
 * and the condition is checked. When it holds the window's events are handed
 * out as the finding and the group starts afresh.
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

/* One matched event in a window: what the condition needs (time, value) and
 * where the event is (sigma_corr_event). 32 bytes, no allocation. */
typedef struct wentry {
	int64_t time_us;
	uint64_t seq; /* event.seq */
	union {
		double num;      /* value_sum / value_avg / value_percentile */
		const unsigned char *val; /* value_count: the group's copy of its identity (vc_add) */
	} v;
	uint32_t tie; /* event.tie */
	uint8_t source;
} wentry;

/* value_count identifies a value by SIGMA_CORR_VALUE_ID bytes of the SHA-256
 * of all of it: 60,000 distinct 2 KB user agents are 60,000 values (not one,
 * as when values were cut to a prefix), and a group keeps 16 bytes a value. */
typedef struct vcount {
	unsigned char *val; /* owned: SIGMA_CORR_VALUE_ID bytes */
	size_t count; /* occurrences in the window; 0 = stale entry, dropped at the next rebuild */
} vcount;

typedef struct group {
	char *key;
	wentry *w; /* ring buffer */
	size_t head, n, cap;
	double sum;
	int64_t *mark; /* temporal: last time per ref; ordered: chain start per step */
	double *sorted; /* value_percentile: the window's numbers, ascending */
	size_t nsorted, csorted;
	/* fixed windows (upper bound only) */
	bool open;
	int64_t wend;   /* last time inside the window */
	uint64_t gen;   /* windows opened so far */
	uint64_t total; /* events fed to the open window (exact, beyond the cap) */
	double tsum;    /* their sum (value_sum / value_avg) */
	/* value_count: occurrences of each value in the window (open addressing) */
	vcount *vc;
	size_t vcap, vused, distinct;
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
	uint64_t dropped; /* events dropped from full windows since the last reset */
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

static vcount *vc_slot(vcount *tab, size_t cap, const unsigned char *val)
{
	size_t mask = cap - 1, h = hash_val(val) & mask;
	while (tab[h].val != NULL && memcmp(tab[h].val, val, SIGMA_CORR_VALUE_ID) != 0)
		h = (h + 1) & mask;
	return &tab[h];
}

bool sigma_corr_value_id(const char *val, size_t n, unsigned char id[SIGMA_CORR_VALUE_ID])
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
	char hex[SHA256_HEX_LEN + 1];
	if (sha256_hex(t, n, hex) != LT_OK)
		return LT_EFATAL;
	size_t keep = SIGMA_CORR_KEY_PREFIX;
	while (keep > 0 && ((unsigned char)t[keep] & 0xC0) == 0x80) /* not inside a UTF-8 character */
		keep--;
	hex[2 * SIGMA_CORR_VALUE_ID] = '\0';
	lt_status st = buf_append(b, t, keep);
	return st == LT_OK ? buf_printf(b, "...(%zu bytes, sha256:%s)", n, hex) : st;
}

/* Rehashes the live entries (count > 0) into a table with room to grow. */
static bool vc_rebuild(group *g)
{
	size_t live = 0;
	for (size_t i = 0; i < g->vcap; i++)
		live += g->vc[i].val != NULL && g->vc[i].count > 0;
	size_t nc = 64;
	while (nc < 4 * (live + 1))
		nc *= 2;
	vcount *nt = calloc(nc, sizeof *nt);
	if (nt == NULL)
		return false;
	for (size_t i = 0; i < g->vcap; i++) {
		if (g->vc[i].val == NULL)
			continue;
		if (g->vc[i].count == 0) {
			free(g->vc[i].val);
			continue;
		}
		*vc_slot(nt, nc, g->vc[i].val) = g->vc[i];
	}
	free(g->vc);
	g->vc = nt;
	g->vcap = nc;
	g->vused = live;
	return true;
}

/* Counts one occurrence of val; returns the group's copy of it, which lives
 * as long as the occurrence is counted (window entries point to it), or NULL
 * when val is NULL or out of memory (nothing counted). */
static const unsigned char *vc_add(group *g, const unsigned char *val)
{
	if (val == NULL)
		return NULL;
	if ((g->vused + 1) * 2 > g->vcap && !vc_rebuild(g))
		return NULL;
	vcount *sl = vc_slot(g->vc, g->vcap, val);
	if (sl->val == NULL) {
		if ((sl->val = malloc(SIGMA_CORR_VALUE_ID)) == NULL)
			return NULL;
		memcpy(sl->val, val, SIGMA_CORR_VALUE_ID);
		g->vused++;
	}
	if (sl->count++ == 0)
		g->distinct++;
	return sl->val;
}

static void vc_remove(group *g, const unsigned char *val)
{
	if (val == NULL || g->vc == NULL)
		return;
	vcount *sl = vc_slot(g->vc, g->vcap, val);
	if (sl->val != NULL && sl->count > 0 && --sl->count == 0)
		g->distinct--;
}

static void vc_free(group *g)
{
	for (size_t i = 0; i < g->vcap; i++)
		free(g->vc[i].val);
	free(g->vc);
	g->vc = NULL;
	g->vcap = g->vused = g->distinct = 0;
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

static bool numeric(const sigma_corr *c)
{
	return c->type == SIGMA_CORR_VALUE_SUM || c->type == SIGMA_CORR_VALUE_AVG ||
	       c->type == SIGMA_CORR_VALUE_PERCENTILE;
}

static void drop_oldest(sigma_corr *c, group *g)
{
	wentry *e = at(g, 0);
	if (c->type == SIGMA_CORR_VALUE_SUM || c->type == SIGMA_CORR_VALUE_AVG)
		g->sum -= e->v.num;
	if (c->type == SIGMA_CORR_VALUE_COUNT)
		vc_remove(g, e->v.val);
	if (c->type == SIGMA_CORR_VALUE_PERCENTILE)
		sorted_remove(g, e->v.num);
	g->head = (g->head + 1) % g->cap;
	if (--g->n == 0)
		g->sum = 0.0;
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
	vc_free(g);
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
	vc_free(g);
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
	c->dropped = 0;
	free_out(c);
	free(c->q);
	c->q = NULL;
	c->qhead = c->qn = c->qcap = 0;
}

void sigma_corr_set_budget(sigma_corr *c, size_t *used, size_t max)
{
	c->used = used;
	c->used_max = max;
}

uint64_t sigma_corr_dropped(const sigma_corr *c)
{
	return c->dropped;
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
	c->tab[h] = g;
	c->ngroups++;
	return g;
}

/* Undoes the last push (out of memory for the sorted copy). */
static void drop_newest(sigma_corr *c, group *g)
{
	wentry *e = at(g, g->n - 1);
	double num = numeric(c) ? e->v.num : 0.0;
	g->sum -= num;
	g->tsum -= num;
	g->total--;
	if (c->type == SIGMA_CORR_VALUE_COUNT)
		vc_remove(g, e->v.val);
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

/* True when dropping a window's event changes what the correlation decides:
 * not for temporal types (their state is the marks; the events are only
 * listed), nor for a fixed window's count, sum or average (kept exact in
 * total/tsum beyond the events kept). */
static bool drop_matters(const sigma_corr *c)
{
	if (c->type == SIGMA_CORR_TEMPORAL || c->type == SIGMA_CORR_TEMPORAL_ORDERED)
		return false;
	return !c->at_close || c->type == SIGMA_CORR_VALUE_COUNT || c->type == SIGMA_CORR_VALUE_PERCENTILE;
}

/* A full window (its own cap, or the shared budget spent) makes room by
 * dropping its oldest event; counted where that changes the aggregate. */
static void make_room(sigma_corr *c, group *g)
{
	if (g->n == SIGMA_CORR_MAX_WINDOW || (g->n > 0 && c->used != NULL && *c->used >= c->used_max)) {
		drop_oldest(c, g);
		c->dropped += drop_matters(c);
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
	unsigned char id[SIGMA_CORR_VALUE_ID];
	if (c->type == SIGMA_CORR_VALUE_COUNT && val != NULL) {
		e->v.val = sigma_corr_value_id(val, vn, id) ? vc_add(g, id) : NULL;
	} else if (numeric(c)) {
		e->v.num = num;
	}
	g->sum += num;
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

/* The aggregate the condition is about, after the event at time t. */
static double aggregate(sigma_corr *c, group *g, size_t ref, int64_t t)
{
	switch (c->type) {
	case SIGMA_CORR_EVENT_COUNT:
		return (double)g->n;
	case SIGMA_CORR_VALUE_COUNT:
		return (double)g->distinct;
	case SIGMA_CORR_VALUE_SUM:
		return g->sum;
	case SIGMA_CORR_VALUE_AVG:
		return g->n ? g->sum / (double)g->n : 0.0;
	case SIGMA_CORR_VALUE_PERCENTILE:
		return percentile(c, g);
	case SIGMA_CORR_TEMPORAL: {
		g->mark[ref] = t;
		double k = 0;
		for (size_t i = 0; i < c->nrefs; i++)
			k += g->mark[i] != NONE && g->mark[i] >= t - c->span;
		return k;
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
		return (double)k;
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

/* The aggregate of a fixed window, when it closes. */
static double window_value(const sigma_corr *c, const group *g)
{
	switch (c->type) {
	case SIGMA_CORR_EVENT_COUNT:
		return (double)g->total;
	case SIGMA_CORR_VALUE_COUNT:
		return (double)g->distinct;
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
	if (g->total > 0 && cond_holds(c, v)) {
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
		while (g->n > 0 && at(g, 0)->time_us < t - c->span)
			drop_oldest(c, g);
		if (g->cap > WINDOW_KEEP && g->n < g->cap / 4) /* out of memory: the ring stays as is */
			(void)ring_resize(g, g->n * 2 > WINDOW_KEEP ? g->n * 2 : WINDOW_KEEP);
		bool live = g->n > 0;
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
	while (g->n > 0 && at(g, 0)->time_us < t - c->span)
		drop_oldest(c, g);
	if (!push(c, g, ev, value, value_len, num))
		return false;
	double v = aggregate(c, g, ref, t);
	if (!cond_holds(c, v))
		return false;
	hand_out(c, g, v, fired);
	return true;
}
