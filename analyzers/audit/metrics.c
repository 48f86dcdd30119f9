/*
 * metrics.c — usage metrics and anomalies (see metrics.h, docs/metrics.md).
 *
 * In: events one at a time (headers; the document only for guardrail policy
 * types). Out: aggregates per grouping, tallies, anomalies.
 * Each grouping (the user's --by list, and the fixed ones the report needs)
 * is a strmap from the joined key ("v1\x1fv2") to an aggregate; past
 * METRICS_MAX_GROUPS keys new keys fold into "(other)". Latencies are kept as
 * uint32 per aggregate that wants percentiles (exact up to METRICS_LAT_CAP
 * per aggregate and METRICS_LAT_BUDGET over all, then a reservoir sample of
 * what the aggregate holds, drawn with a fixed-seed xorshift, so runs stay
 * deterministic); percentiles are nearest-rank (the value at rank
 * ceil(p/100 * n) of the sorted latencies).
 * Anomalies use (series, hour) cells in a strmap keyed by 12 binary bytes; at
 * finish each series is laid out as a dense hourly vector over the case's
 * span and judged hour by hour against its trailing window. Cheap tests
 * (minimum size, above twice the window maximum) run first, so the median/MAD
 * sort only runs for candidate hours. A model's spike that a principal's
 * spike in the same hour covers is that principal's, reported once.
 */
#include "config.h"
#include "common/sort.h"

#include "analyzers/audit/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/audit/builtin_rules.h"
#include "analyzers/sigma/sigma_corr.h"
#include "common/buf.h"
#include "common/arena.h"
#include "common/ltime.h"
#include "ingest/json.h"
#include "model/strmap.h"
#include "store/replay.h"

#define SEP '\x1f'
#define FIRST_SEEN_CAP 50000
#define MAX_SERIES_HOURS (24 * 366 * 3)
#define TOP_MODELS 8

/* ---- dims and options ----------------------------------------------------- */

static const char *const dim_names[METRICS_NDIMS] = {"model", "principal", "region", "day", "hour"};

const char *metrics_dim_name(metrics_dim d)
{
	return (unsigned)d < METRICS_NDIMS ? dim_names[d] : "?";
}

int metrics_dim_parse(const char *s)
{
	for (int i = 0; i < METRICS_NDIMS; i++)
		if (strcmp(s, dim_names[i]) == 0)
			return i;
	return -1;
}

void metrics_options_init(metrics_options *o)
{
	memset(o, 0, sizeof *o);
	o->since_us = INT64_MIN;
	o->until_us = INT64_MAX;
}

/* ---- structures ------------------------------------------------------------ */

typedef struct agg_ex {
	metrics_agg pub;
	uint32_t *lat;
	size_t nlat, alat;
} agg_ex;

typedef struct grouping {
	metrics_dim by[METRICS_MAX_BY];
	size_t nby;
	bool want_latency;
	strmap *map;
	agg_ex *v;
	size_t n, alloc;
	const char **keys; /* joined key per aggregate (arena) */
	metrics_row *rows; /* after finish, sorted */
} grouping;

enum { G_USER = METRICS_VIEW_BY, G_MODEL = METRICS_VIEW_MODEL, G_PRINCIPAL = METRICS_VIEW_PRINCIPAL,
       G_REGION = METRICS_VIEW_REGION, G_DAY_MODEL = METRICS_VIEW_DAY_MODEL, G_DAY = METRICS_VIEW_DAY,
       G_HOUR = METRICS_VIEW_HOUR, G_COUNT = METRICS_NVIEWS };

typedef struct tally {
	strmap *map;
	metrics_count *v;
	size_t n, alloc;
} tally;

typedef struct first_seen {
	int64_t time_us;
	const char *value, *principal, *source, *uid;
} first_seen;

typedef struct fs_table {
	strmap *map;
	first_seen *v;
	size_t n, alloc;
} fs_table;

enum { FS_PRINCIPAL, FS_MODEL, FS_IP, FS_UA, FS_COUNT };

typedef struct cell {
	uint32_t series;
	int64_t hour;
	uint32_t inv, inv_err, inv_thr, ct, ct_err, ct_thr;
	uint64_t tokens;
} cell;

typedef struct aseries {
	char kind; /* 'P' principal, 'M' model */
	const char *name;
} aseries;

struct metrics {
	metrics_options opt;
	arena *a;
	grouping g[G_COUNT];
	agg_ex total;
	uint64_t token_buckets[METRICS_TOKEN_BUCKETS];
	tally errors, guardrail, actions, resources, credentials;
	fs_table fs[FS_COUNT];
	buf fs_key; /* a long value's first-seen key (first_seen_key) */
	bool first_seen_short; /* the case spans less than METRICS_FIRST_SEEN_MIN_DAYS */
	strmap *series_map;
	aseries *series;
	size_t nseries, aseries_alloc;
	strmap *cell_map;
	cell *cells;
	size_t ncells, acells;
	uint64_t cells_dropped;
	int64_t first_us, last_us;
	int64_t history_first_us, history_last_us; /* metrics_learn: an earlier case's span (else MAX, MIN) */
	uint64_t rng;
	size_t lat_total; /* latencies held over all aggregates */
	metrics_anomaly *anom;
	size_t nanom, aanom;
	bool finished;
};

static const metrics_dim fixed_dims[G_COUNT][2] = {
	[G_MODEL] = {METRICS_BY_MODEL},   [G_PRINCIPAL] = {METRICS_BY_PRINCIPAL},
	[G_REGION] = {METRICS_BY_REGION}, [G_DAY_MODEL] = {METRICS_BY_DAY, METRICS_BY_MODEL},
	[G_DAY] = {METRICS_BY_DAY},       [G_HOUR] = {METRICS_BY_HOUR},
};
static const size_t fixed_n[G_COUNT] = {0, 1, 1, 1, 2, 1, 1};

metrics *metrics_new(const metrics_options *o)
{
	metrics *m = calloc(1, sizeof *m);
	if (m == NULL)
		return NULL;
	if (o)
		m->opt = *o;
	else
		metrics_options_init(&m->opt);
	if (m->opt.nby == 0) {
		m->opt.nby = 1;
		m->opt.by[0] = METRICS_BY_MODEL;
	}
	if (m->opt.nby > METRICS_MAX_BY)
		m->opt.nby = METRICS_MAX_BY;
	m->a = arena_new(0, 0);
	bool ok = m->a != NULL;
	for (int i = 0; i < G_COUNT; i++) {
		grouping *g = &m->g[i];
		if (i == G_USER) {
			g->nby = m->opt.nby;
			memcpy(g->by, m->opt.by, sizeof g->by);
		} else {
			g->nby = fixed_n[i];
			memcpy(g->by, fixed_dims[i], fixed_n[i] * sizeof g->by[0]);
		}
		g->want_latency = i == G_USER || i == G_MODEL;
		g->map = strmap_new(0);
		ok = ok && g->map != NULL;
	}
	m->errors.map = strmap_new(0);
	m->guardrail.map = strmap_new(0);
	m->actions.map = strmap_new(0);
	m->resources.map = strmap_new(0);
	m->credentials.map = strmap_new(0);
	for (int i = 0; i < FS_COUNT; i++) {
		m->fs[i].map = strmap_new(FIRST_SEEN_CAP);
		ok = ok && m->fs[i].map != NULL;
	}
	m->series_map = strmap_new(0);
	m->cell_map = strmap_new(METRICS_MAX_CELLS);
	m->total.pub.latency_max = -1;
	m->first_us = INT64_MAX;
	m->history_first_us = INT64_MAX;
	m->history_last_us = INT64_MIN;
	m->last_us = INT64_MIN;
	m->rng = 0x9e3779b97f4a7c15ULL;
	if (!ok || !m->errors.map || !m->guardrail.map || !m->actions.map || !m->resources.map || !m->credentials.map || !m->series_map || !m->cell_map) {
		metrics_free(m);
		return NULL;
	}
	return m;
}

static void free_tally(tally *t)
{
	strmap_free(t->map);
	free(t->v);
}

void metrics_free(metrics *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < G_COUNT; i++) {
		grouping *g = &m->g[i];
		for (size_t k = 0; k < g->n; k++)
			free(g->v[k].lat);
		free(g->v);
		free(g->keys);
		free(g->rows);
		strmap_free(g->map);
	}
	free(m->total.lat);
	free_tally(&m->errors);
	free_tally(&m->guardrail);
	free_tally(&m->actions);
	free_tally(&m->resources);
	free_tally(&m->credentials);
	buf_free(&m->fs_key);
	for (int i = 0; i < FS_COUNT; i++) {
		strmap_free(m->fs[i].map);
		free(m->fs[i].v);
	}
	strmap_free(m->series_map);
	free(m->series);
	strmap_free(m->cell_map);
	free(m->cells);
	free(m->anom);
	arena_free(m->a);
	free(m);
}

static bool grow(void **v, size_t *alloc, size_t n, size_t size)
{
	if (n < *alloc)
		return true;
	size_t na = *alloc ? *alloc * 2 : 16;
	void *nv = realloc(*v, na * size);
	if (nv == NULL)
		return false;
	*v = nv;
	*alloc = na;
	return true;
}

/* ---- classification --------------------------------------------------------- */

static bool in_list(ev_str s, const char *const *list)
{
	for (; *list; list++)
		if (ev_str_eq(s, *list))
			return true;
	return false;
}

static const char *const throttle_codes[] = {"ThrottlingException", "Throttling", "TooManyRequestsException",
                                             "ServiceQuotaExceededException", "ModelNotReadyException", NULL};
static const char *const server_codes[] = {"InternalServerException", "InternalFailure", "InternalError",
                                           "ServiceUnavailableException", "ServiceUnavailable",
                                           "ServiceException", "ModelErrorException", "ModelTimeoutException",
                                           NULL};
static const char *const runtime_actions[] = {"InvokeModel", "InvokeModelWithResponseStream", "Converse",
                                              "ConverseStream", NULL};
static const char *const agent_actions[] = {"InvokeAgent", "InvokeInlineAgent", NULL};
static const char *const kb_actions[] = {"Retrieve", "RetrieveAndGenerate", "RetrieveAndGenerateStream", NULL};
static const char *const flow_actions[] = {"InvokeFlow", NULL};

typedef enum err_class { EC_NONE, EC_CLIENT, EC_SERVER, EC_THROTTLE } err_class;

static err_class classify_error(ev_str code)
{
	if (code.n == 0)
		return EC_NONE;
	if (in_list(code, throttle_codes))
		return EC_THROTTLE;
	if (in_list(code, server_codes))
		return EC_SERVER;
	return EC_CLIENT;
}

static const char *class_name(err_class c)
{
	return c == EC_THROTTLE ? "throttle" : c == EC_SERVER ? "server" : "client";
}

static const char *action_category(ev_str action)
{
	if (in_list(action, runtime_actions))
		return "runtime";
	if (in_list(action, agent_actions))
		return "agent";
	if (in_list(action, kb_actions))
		return "knowledge base";
	if (in_list(action, flow_actions))
		return "flow";
	if (ev_str_eq(action, "ApplyGuardrail"))
		return "guardrail";
	if (ev_str_eq(action, "RenderPrompt"))
		return "prompt";
	return "control plane";
}

/* ---- keys -------------------------------------------------------------------- */

static void dim_value(const event *ev, metrics_dim d, buf *b, lt_status *st)
{
	if (*st != LT_OK)
		return;
	char t[LTIME_BUFSZ];
	switch (d) {
	case METRICS_BY_MODEL:
		*st = ev->model.n ? buf_append(b, ev->model.p, ev->model.n) : buf_puts(b, "(none)");
		break;
	case METRICS_BY_PRINCIPAL:
		*st = ev->principal.n ? buf_append(b, ev->principal.p, ev->principal.n) : buf_puts(b, "(none)");
		break;
	case METRICS_BY_REGION:
		*st = buf_append(b, ev->account.n ? ev->account.p : "-", ev->account.n ? ev->account.n : 1);
		if (*st == LT_OK)
			*st = buf_putc(b, '/');
		if (*st == LT_OK)
			*st = buf_append(b, ev->region.n ? ev->region.p : "-", ev->region.n ? ev->region.n : 1);
		break;
	case METRICS_BY_DAY:
		ltime_format(ev->time_us, 0, t);
		*st = buf_append(b, t, 10);
		break;
	default:
		ltime_format(ev->time_us, 0, t);
		*st = buf_append(b, t, 13);
		break;
	}
}

static agg_ex *group_slot(metrics *m, grouping *g, const event *ev, buf *key, lt_status *st)
{
	buf_reset(key);
	for (size_t i = 0; i < g->nby; i++) {
		if (i && *st == LT_OK)
			*st = buf_putc(key, SEP);
		dim_value(ev, g->by[i], key, st);
	}
	if (*st != LT_OK)
		return NULL;
	bool full = false;
	uint64_t *slot = strmap_slot(g->map, key->data, key->len, false, NULL);
	if (slot == NULL && strmap_count(g->map) >= METRICS_MAX_GROUPS) {
		buf_reset(key);
		for (size_t i = 0; i < g->nby && *st == LT_OK; i++)
			*st = buf_puts(key, i ? "\x1f(other)" : "(other)");
	}
	if (slot == NULL)
		slot = strmap_slot(g->map, key->data, key->len, true, &full);
	if (slot == NULL) {
		*st = LT_EFATAL;
		return NULL;
	}
	if (*slot == 0) {
		if (!grow((void **)&g->v, &g->alloc, g->n, sizeof *g->v) ||
		    (g->n % 16 == 0 && !(g->keys = realloc(g->keys, (g->n + 16) * sizeof *g->keys)))) {
			*st = LT_EFATAL;
			return NULL;
		}
		agg_ex *x = &g->v[g->n];
		memset(x, 0, sizeof *x);
		x->pub.latency_max = -1;
		g->keys[g->n] = arena_strndup(m->a, key->data, key->len);
		if (g->keys[g->n] == NULL) {
			*st = LT_EFATAL;
			return NULL;
		}
		*slot = ++g->n;
	}
	return &g->v[*slot - 1];
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void add_latency(metrics *m, agg_ex *x, int64_t ms, bool keep)
{
	x->pub.latency_n++;
	if (ms > x->pub.latency_max)
		x->pub.latency_max = ms;
	if (!keep)
		return;
	uint32_t v = ms > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
	if (x->nlat < METRICS_LAT_CAP && m->lat_total < METRICS_LAT_BUDGET &&
	    grow((void **)&x->lat, &x->alat, x->nlat, sizeof *x->lat)) {
		x->lat[x->nlat++] = v;
		m->lat_total++;
		return;
	}
	/* reservoir over what this aggregate holds: keep with probability nlat/n */
	uint64_t j = xorshift(&m->rng) % x->pub.latency_n;
	if (j < x->nlat)
		x->lat[j] = v;
}

typedef struct ev_facts {
	bool inv, ct, runtime;
	err_class ec;
	const char *category;
	bool guardrail;
} ev_facts;

static void add_to_agg(metrics *m, agg_ex *x, const event *ev, const ev_facts *f, bool keep_latency)
{
	metrics_agg *a = &x->pub;
	if (f->inv) {
		a->invocations++;
		if (ev->input_tokens > 0)
			a->input_tokens += (uint64_t)ev->input_tokens;
		if (ev->output_tokens > 0)
			a->output_tokens += (uint64_t)ev->output_tokens;
		a->client_errors += f->ec == EC_CLIENT;
		a->server_errors += f->ec == EC_SERVER;
		a->throttles += f->ec == EC_THROTTLE;
		a->guardrail_interventions += f->guardrail;
		if (ev->latency_ms >= 0)
			add_latency(m, x, ev->latency_ms, keep_latency);
	} else if (f->ct) {
		a->ct_calls++;
		a->ct_errors += f->ec != EC_NONE;
		a->ct_throttles += f->ec == EC_THROTTLE;
		a->ct_runtime += f->runtime;
		a->ct_agent += strcmp(f->category, "agent") == 0;
		a->ct_kb += strcmp(f->category, "knowledge base") == 0;
		a->ct_flow += strcmp(f->category, "flow") == 0;
	}
}

static lt_status tally_add(metrics *m, tally *t, const char *name, size_t n, const char *detail, uint64_t count,
                           uint64_t errors)
{
	buf k;
	buf_init(&k, 0);
	lt_status st = buf_append(&k, name, n);
	if (st == LT_OK)
		st = buf_putc(&k, SEP);
	if (st == LT_OK)
		st = buf_puts(&k, detail);
	uint64_t *slot = st == LT_OK ? strmap_slot(t->map, k.data, k.len, true, NULL) : NULL;
	buf_free(&k);
	if (slot == NULL)
		return LT_EFATAL;
	if (*slot == 0) {
		if (!grow((void **)&t->v, &t->alloc, t->n, sizeof *t->v))
			return LT_EFATAL;
		metrics_count *c = &t->v[t->n];
		memset(c, 0, sizeof *c);
		c->name = arena_strndup(m->a, name, n);
		c->detail = arena_strndup(m->a, detail, strlen(detail));
		if (c->name == NULL || c->detail == NULL)
			return LT_EFATAL;
		*slot = ++t->n;
	}
	t->v[*slot - 1].count += count;
	t->v[*slot - 1].errors += errors;
	return LT_OK;
}

/* The Bedrock resources a CloudTrail data event names (resources[] of type
 * AWS::Bedrock::*: agent aliases, knowledge bases, flow aliases, guardrails,
 * prompts), by ARN; detail = the type without its "AWS::Bedrock::" prefix. */
static lt_status count_resources(metrics *m, const event *ev, bool error)
{
	static const char prefix[] = "AWS::Bedrock::";
	const json_value *res = ev->doc != NULL ? json_get(ev->doc, "resources") : NULL;
	for (size_t i = 0; res != NULL && res->type == JSON_ARRAY && i < res->len && i < 64; i++) {
		const json_value *r = &res->u.items[i];
		ev_str type = ev_str_json(r->type == JSON_OBJECT ? json_get(r, "type") : NULL);
		ev_str arn = ev_str_json(r->type == JSON_OBJECT ? json_get(r, "ARN") : NULL);
		if (arn.n == 0 || type.n <= sizeof prefix - 1 || memcmp(type.p, prefix, sizeof prefix - 1) != 0)
			continue;
		char detail[64];
		snprintf(detail, sizeof detail, "%.*s", (int)(type.n - (sizeof prefix - 1)), type.p + sizeof prefix - 1);
		lt_status st = tally_add(m, &m->resources, arn.p, arn.n, detail, 1, error);
		if (st != LT_OK)
			return st;
	}
	return LT_OK;
}

/* Guardrail policy types in the logged trace: members named "*Policy" whose
 * value is an object or array (not the "*PolicyUnits" numbers). */
static void find_policies(const json_value *v, int depth, size_t *budget, const char **names, size_t *lens,
                          size_t *n)
{
	if (v == NULL || depth > 16 || *budget == 0)
		return;
	(*budget)--;
	if (v->type == JSON_ARRAY) {
		for (size_t i = 0; i < v->len; i++)
			find_policies(&v->u.items[i], depth + 1, budget, names, lens, n);
	} else if (v->type == JSON_OBJECT) {
		for (size_t i = 0; i < v->len; i++) {
			const json_member *mb = &v->u.members[i];
			const json_value *c = &mb->value;
			if (mb->key_len > 6 && memcmp(mb->key + mb->key_len - 6, "Policy", 6) == 0 &&
			    (c->type == JSON_OBJECT || c->type == JSON_ARRAY)) {
				bool dup = false;
				for (size_t k = 0; k < *n; k++)
					dup = dup || (lens[k] == mb->key_len && memcmp(names[k], mb->key, lens[k]) == 0);
				if (!dup && *n < 8) {
					names[*n] = mb->key;
					lens[(*n)++] = mb->key_len;
				}
			} else
				find_policies(c, depth + 1, budget, names, lens, n);
		}
	}
}

static lt_status count_guardrail(metrics *m, const event *ev)
{
	const char *names[8];
	size_t lens[8], n = 0, budget = 20000;
	const json_value *out = ev->doc ? json_get(ev->doc, "output") : NULL;
	if (out)
		find_policies(json_get(out, "outputBodyJson"), 0, &budget, names, lens, &n);
	if (n == 0)
		return tally_add(m, &m->guardrail, "unknown", 7, "", 1, 0);
	lt_status st = LT_OK;
	for (size_t i = 0; i < n && st == LT_OK; i++)
		st = tally_add(m, &m->guardrail, names[i], lens[i], "", 1, 0);
	return st;
}

static size_t token_bucket(int64_t t)
{
	if (t <= 0)
		return 0;
	size_t b = 1;
	while (b < METRICS_TOKEN_BUCKETS - 1 && t >= ((int64_t)1 << b))
		b++;
	return b;
}

void metrics_token_bucket_label(size_t i, char out[32])
{
	if (i == 0)
		snprintf(out, 32, "0");
	else if (i == 1)
		snprintf(out, 32, "1");
	else if (i >= METRICS_TOKEN_BUCKETS - 1)
		snprintf(out, 32, ">=%lld", (long long)1 << (METRICS_TOKEN_BUCKETS - 2));
	else
		snprintf(out, 32, "%lld-%lld", (long long)1 << (i - 1), ((long long)1 << i) - 1);
}

/* ---- first seen and anomaly cells ------------------------------------------------- */

/* A value's key for first-seen: itself, or when longer than
 * SIGMA_CORR_KEY_TEXT its prefix, length and 128 bits of SHA-256 (as
 * correlation groups are kept), so memory per value is bounded whatever the
 * evidence's user agents. *kb is reset and may hold the key. */
static lt_status first_seen_key(ev_str value, buf *kb, ev_str *key)
{
	*key = value;
	if (value.n <= SIGMA_CORR_KEY_TEXT)
		return LT_OK;
	buf_reset(kb);
	lt_status st = sigma_corr_key_append(kb, value.p, value.n);
	if (st == LT_OK)
		*key = ev_str_from(buf_cstr(kb), kb->len);
	return st;
}

static lt_status note_first(metrics *m, int which, ev_str full, const event *ev)
{
	if (full.n == 0)
		return LT_OK;
	ev_str value;
	if (first_seen_key(full, &m->fs_key, &value) != LT_OK)
		return LT_EFATAL;
	fs_table *t = &m->fs[which];
	uint64_t *slot = strmap_slot(t->map, value.p, value.n, true, NULL);
	if (slot == NULL)
		return LT_OK; /* cap reached: later values are not judged */
	if (*slot == 0) {
		if (!grow((void **)&t->v, &t->alloc, t->n, sizeof *t->v))
			return LT_EFATAL;
		first_seen *f = &t->v[t->n];
		f->time_us = INT64_MAX;
		f->value = arena_strndup(m->a, value.p, value.n);
		if (f->value == NULL)
			return LT_EFATAL;
		*slot = ++t->n;
	}
	first_seen *f = &t->v[*slot - 1];
	if (ev->time_us < f->time_us) {
		f->time_us = ev->time_us;
		f->principal = arena_strndup(m->a, ev->principal.p ? ev->principal.p : "", ev->principal.n);
		const char *src = ev_source_name(ev->source);
		f->source = src;
		f->uid = arena_strndup(m->a, ev->uid.p ? ev->uid.p : "", ev->uid.n);
		if (f->principal == NULL || f->uid == NULL)
			return LT_EFATAL;
	}
	return LT_OK;
}

static cell *cell_of(metrics *m, char kind, ev_str name, int64_t hour, lt_status *st)
{
	if (name.n == 0)
		return NULL;
	char *k = malloc(name.n + 2);
	if (k == NULL) {
		*st = LT_EFATAL;
		return NULL;
	}
	k[0] = kind;
	k[1] = SEP;
	memcpy(k + 2, name.p, name.n);
	uint64_t *sslot = strmap_slot(m->series_map, k, name.n + 2, true, NULL);
	free(k);
	if (sslot == NULL) {
		*st = LT_EFATAL;
		return NULL;
	}
	if (*sslot == 0) {
		if (!grow((void **)&m->series, &m->aseries_alloc, m->nseries, sizeof *m->series)) {
			*st = LT_EFATAL;
			return NULL;
		}
		m->series[m->nseries].kind = kind;
		m->series[m->nseries].name = arena_strndup(m->a, name.p, name.n);
		if (m->series[m->nseries].name == NULL) {
			*st = LT_EFATAL;
			return NULL;
		}
		*sslot = ++m->nseries;
	}
	unsigned char ck[12];
	uint32_t sid = (uint32_t)(*sslot - 1);
	memcpy(ck, &sid, 4);
	memcpy(ck + 4, &hour, 8);
	bool full = false;
	uint64_t *cslot = strmap_slot(m->cell_map, ck, sizeof ck, true, &full);
	if (cslot == NULL) {
		if (full)
			m->cells_dropped++;
		else
			*st = LT_EFATAL;
		return NULL;
	}
	if (*cslot == 0) {
		if (!grow((void **)&m->cells, &m->acells, m->ncells, sizeof *m->cells)) {
			*st = LT_EFATAL;
			return NULL;
		}
		cell *c = &m->cells[m->ncells];
		memset(c, 0, sizeof *c);
		c->series = sid;
		c->hour = hour;
		*cslot = ++m->ncells;
	}
	return &m->cells[*cslot - 1];
}

static void add_cell(cell *c, const event *ev, const ev_facts *f)
{
	if (c == NULL)
		return;
	if (f->inv) {
		c->inv++;
		c->inv_err += f->ec == EC_CLIENT || f->ec == EC_SERVER;
		c->inv_thr += f->ec == EC_THROTTLE;
		c->tokens += (uint64_t)(ev->input_tokens > 0 ? ev->input_tokens : 0) +
		             (uint64_t)(ev->output_tokens > 0 ? ev->output_tokens : 0);
	} else if (f->runtime) {
		c->ct++;
		c->ct_err += f->ec == EC_CLIENT || f->ec == EC_SERVER;
		c->ct_thr += f->ec == EC_THROTTLE;
	}
}

/* ---- adding an event --------------------------------------------------------------- */

/* The entity a principal ARN stands for in baselines: an assumed-role
 * session is its role (arn:aws:sts::ACCOUNT:assumed-role/ROLE), since a
 * fleet rotates session names every hour and each would otherwise be a
 * principal "first seen" with no history; anything else is itself. */
static ev_str principal_entity(ev_str principal)
{
	static const char tag[] = ":assumed-role/";
	if (principal.p == NULL || principal.n < sizeof tag)
		return principal;
	const char *a = NULL;
	for (size_t i = 0; i + sizeof tag - 1 <= principal.n && a == NULL; i++)
		if (memcmp(principal.p + i, tag, sizeof tag - 1) == 0)
			a = principal.p + i + sizeof tag - 1;
	if (a == NULL)
		return principal;
	const char *slash = memchr(a, '/', (size_t)(principal.p + principal.n - a));
	if (slash != NULL)
		principal.n = (size_t)(slash - principal.p);
	return principal;
}

bool metrics_wants_record(const event *ev)
{
	bool ct_bedrock = ev->source == EV_SRC_CLOUDTRAIL && !(ev->flags & EV_F_NO_RESOURCES) &&
	                  ev_str_eq(ev->service, "bedrock.amazonaws.com");
	bool guardrail = ev->source == EV_SRC_INVOCATION &&
	                 ((ev->flags & EV_F_GUARDRAIL) || ev_str_eq(ev->guardrail_action, "INTERVENED"));
	return ct_bedrock || guardrail; /* count_resources, count_guardrail */
}

static lt_status note_firsts(metrics *m, const event *ev)
{
	ev_str entity = principal_entity(ev->principal);
	lt_status st;
	if ((st = note_first(m, FS_PRINCIPAL, entity, ev)) != LT_OK ||
	    (st = note_first(m, FS_MODEL, ev->source == EV_SRC_KBLOG ? EV_STR_NULL : ev->model, ev)) != LT_OK ||
	    (st = note_first(m, FS_IP, ev->source_ip, ev)) != LT_OK ||
	    (st = note_first(m, FS_UA, ev->user_agent, ev)) != LT_OK)
		return st;
	return LT_OK;
}

lt_status metrics_learn(metrics *m, const event *ev, lt_error *err)
{
	if (ev->time_us < m->history_first_us)
		m->history_first_us = ev->time_us;
	if (ev->time_us > m->history_last_us)
		m->history_last_us = ev->time_us;
	event known = *ev;
	known.time_us = INT64_MIN; /* before any cut: never "first seen" in this case */
	return note_firsts(m, &known) == LT_OK ? LT_OK : lt_error_set(err, LT_EFATAL, "metrics: out of memory");
}

lt_status metrics_add(metrics *m, const event *ev, lt_error *err)
{
	if (ev->time_us < m->opt.since_us || ev->time_us >= m->opt.until_us)
		return LT_OK;
	if (ev->time_us < m->first_us)
		m->first_us = ev->time_us;
	if (ev->time_us > m->last_us)
		m->last_us = ev->time_us;
	lt_status st = LT_OK;
	/* first appearances are judged over every event: a new IP matters anywhere */
	if (note_firsts(m, ev) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "metrics: out of memory");
	ev_facts f;
	memset(&f, 0, sizeof f);
	f.inv = ev->source == EV_SRC_INVOCATION;
	f.ct = ev->source == EV_SRC_CLOUDTRAIL && ev_str_eq(ev->service, "bedrock.amazonaws.com");
	if (!f.inv && !f.ct)
		return LT_OK;
	f.ec = classify_error(ev->error_code);
	f.category = f.ct ? action_category(ev->action) : "runtime";
	f.runtime = f.ct && strcmp(f.category, "runtime") == 0;
	f.guardrail = f.inv && ((ev->flags & EV_F_GUARDRAIL) || ev_str_eq(ev->guardrail_action, "INTERVENED"));
	buf key;
	buf_init(&key, 0);
	for (int i = 0; i < G_COUNT && st == LT_OK; i++) {
		agg_ex *x = group_slot(m, &m->g[i], ev, &key, &st);
		if (x)
			add_to_agg(m, x, ev, &f, m->g[i].want_latency);
	}
	buf_free(&key);
	if (st == LT_OK) {
		add_to_agg(m, &m->total, ev, &f, false);
		if (f.inv && ev->input_tokens >= 0) /* unknown counts (absent, or not counts) are in no bucket */
			m->token_buckets[token_bucket(ev->input_tokens)]++;
		if (f.ec != EC_NONE)
			st = tally_add(m, &m->errors, ev->error_code.p, ev->error_code.n, class_name(f.ec), f.inv, f.ct);
		if (st == LT_OK && f.ct)
			st = tally_add(m, &m->actions, ev->action.p ? ev->action.p : "", ev->action.n, f.category, 1,
			               f.ec != EC_NONE);
		if (st == LT_OK && f.guardrail)
			st = count_guardrail(m, ev);
		if (st == LT_OK && f.ct)
			st = count_resources(m, ev, f.ec != EC_NONE);
		if (st == LT_OK && (ev->flags & EV_F_BEARER_TOKEN))
			st = tally_add(m, &m->credentials, "bedrock-api-key", 15, "bearer token", 1, f.ec != EC_NONE);
	}
	if (st == LT_OK && (f.inv || f.runtime)) {
		int64_t hour = ev->time_us / LTIME_HOUR_US * LTIME_HOUR_US;
		if (hour > ev->time_us)
			hour -= LTIME_HOUR_US;
		add_cell(cell_of(m, 'P', principal_entity(ev->principal), hour, &st), ev, &f);
		if (st == LT_OK)
			add_cell(cell_of(m, 'M', ev->model, hour, &st), ev, &f);
	}
	return st == LT_OK ? LT_OK : lt_error_set(err, LT_EFATAL, "metrics: out of memory");
}

/* ---- finishing ------------------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double rank_pct(const uint32_t *v, size_t n, double p)
{
	size_t r = (size_t)ceil(p / 100.0 * (double)n);
	if (r < 1)
		r = 1;
	return (double)v[r - 1];
}

static void percentiles(agg_ex *x)
{
	metrics_agg *a = &x->pub;
	a->latency_exact = a->latency_n == x->nlat;
	if (x->nlat == 0) {
		a->latency_p50 = a->latency_p90 = a->latency_p99 = (double)NAN;
		return;
	}
	lt_sort(x->lat, x->nlat, sizeof *x->lat, cmp_u32);
	a->latency_p50 = rank_pct(x->lat, x->nlat, 50);
	a->latency_p90 = rank_pct(x->lat, x->nlat, 90);
	a->latency_p99 = rank_pct(x->lat, x->nlat, 99);
}

static int cmp_row(const void *a, const void *b)
{
	const metrics_row *x = a, *y = b;
	for (size_t i = 0; i < METRICS_MAX_BY; i++) {
		if (x->key[i] == NULL || y->key[i] == NULL)
			break;
		int c = strcmp(x->key[i], y->key[i]);
		if (c)
			return c;
	}
	return 0;
}

static lt_status make_rows(metrics *m, grouping *g)
{
	g->rows = calloc(g->n ? g->n : 1, sizeof *g->rows);
	if (g->rows == NULL)
		return LT_EFATAL;
	for (size_t i = 0; i < g->n; i++) {
		if (g->want_latency)
			percentiles(&g->v[i]);
		else
			g->v[i].pub.latency_p50 = g->v[i].pub.latency_p90 = g->v[i].pub.latency_p99 = (double)NAN;
		metrics_row *r = &g->rows[i];
		r->agg = g->v[i].pub;
		const char *k = g->keys[i];
		for (size_t d = 0; d < g->nby; d++) {
			const char *e = strchr(k, SEP);
			size_t n = e ? (size_t)(e - k) : strlen(k);
			r->key[d] = arena_strndup(m->a, k, n);
			if (r->key[d] == NULL)
				return LT_EFATAL;
			k = e ? e + 1 : k + n;
		}
	}
	lt_sort(g->rows, g->n, sizeof *g->rows, cmp_row);
	return LT_OK;
}

static int cmp_count(const void *a, const void *b)
{
	const metrics_count *x = a, *y = b;
	if (x->count + x->errors != y->count + y->errors)
		return x->count + x->errors > y->count + y->errors ? -1 : 1;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->detail, y->detail);
}

static int cmp_cell(const void *a, const void *b)
{
	const cell *x = a, *y = b;
	if (x->series != y->series)
		return x->series < y->series ? -1 : 1;
	return x->hour < y->hour ? -1 : x->hour > y->hour;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median_of(double *v, size_t n)
{
	lt_sort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* median and MAD of v[0..n) (v is reordered) */
static void robust(double *v, size_t n, double *med, double *mad)
{
	*med = median_of(v, n);
	for (size_t i = 0; i < n; i++)
		v[i] = fabs(v[i] - *med);
	*mad = median_of(v, n);
}

static lt_status push_anomaly(metrics *m, const metrics_anomaly *a)
{
	if (!grow((void **)&m->anom, &m->aanom, m->nanom, sizeof *m->anom))
		return LT_EFATAL;
	m->anom[m->nanom++] = *a;
	return LT_OK;
}

typedef struct dense {
	double calls, errors, throttles, tokens;
} dense;

/* Count-type anomaly (invocations, tokens) at hour h of a dense series. */
static lt_status judge_count(metrics *m, const aseries *s, const dense *d, size_t born, size_t h, int64_t h0,
                             bool tokens, double *tmp)
{
	double x = tokens ? d[h].tokens : d[h].calls;
	if (x < (tokens ? METRICS_MIN_TOKENS : METRICS_MIN_INVOCATIONS))
		return LT_OK;
	size_t lo = h > METRICS_WINDOW_HOURS ? h - METRICS_WINDOW_HOURS : 0, n = 0;
	if (lo < born)
		lo = born;
	double wmax = 0;
	size_t active = 0;
	for (size_t i = lo; i < h; i++) {
		tmp[n] = tokens ? d[i].tokens : d[i].calls;
		if (tmp[n] > wmax)
			wmax = tmp[n];
		active += d[i].calls > 0;
		n++;
	}
	/* a baseline is observations, not only elapsed time: until a series has
	 * been active in enough hours (a nightly job: enough nights) its spike
	 * must dwarf everything it did before, not merely double it */
	double factor = active < METRICS_MIN_ACTIVE_HOURS ? METRICS_SPARSE_FACTOR : METRICS_MAX_FACTOR;
	if (x <= factor * wmax)
		return LT_OK;
	double med, mad;
	robust(tmp, n, &med, &mad);
	double floor_ = tokens ? fmax(1.0, 0.1 * med) : fmax(1.0, sqrt(med));
	double scale = fmax(1.4826 * mad, floor_);
	double z = (x - med) / scale;
	if (z < METRICS_Z)
		return LT_OK;
	metrics_anomaly a = {tokens ? METRICS_A_TOKENS : METRICS_A_INVOCATIONS,
	                     s->kind == 'P' ? "principal" : "model",
	                     s->name,
	                     h0 + (int64_t)h * LTIME_HOUR_US,
	                     x,
	                     med,
	                     mad,
	                     z,
	                     s->kind == 'P' ? s->name : "",
	                     "",
	                     ""};
	return push_anomaly(m, &a);
}

static lt_status judge_rate(metrics *m, const aseries *s, const dense *d, size_t born, size_t h, int64_t h0,
                            bool thr, double *tmp)
{
	double e = thr ? d[h].throttles : d[h].errors;
	if (e < METRICS_MIN_ERRORS || d[h].calls <= 0)
		return LT_OK;
	double rate = e / d[h].calls;
	if (rate < METRICS_MIN_RATE)
		return LT_OK;
	size_t lo = h > METRICS_WINDOW_HOURS ? h - METRICS_WINDOW_HOURS : 0, n = 0;
	if (lo < born)
		lo = born;
	for (size_t i = lo; i < h; i++)
		if (d[i].calls > 0)
			tmp[n++] = (thr ? d[i].throttles : d[i].errors) / d[i].calls;
	double med = 0, mad = 0;
	if (n > 0)
		robust(tmp, n, &med, &mad);
	double need = fmax(METRICS_RATE_DELTA, METRICS_Z * 1.4826 * mad);
	if (rate - med < need)
		return LT_OK;
	metrics_anomaly a = {thr ? METRICS_A_THROTTLE_RATE : METRICS_A_ERROR_RATE,
	                     s->kind == 'P' ? "principal" : "model",
	                     s->name,
	                     h0 + (int64_t)h * LTIME_HOUR_US,
	                     rate,
	                     med,
	                     mad,
	                     mad > 0 ? (rate - med) / (1.4826 * mad) : HUGE_VAL,
	                     s->kind == 'P' ? s->name : "",
	                     "",
	                     ""};
	return push_anomaly(m, &a);
}

static lt_status judge_series(metrics *m)
{
	if (m->ncells == 0 || m->first_us > m->last_us)
		return LT_OK;
	int64_t h0 = m->first_us / LTIME_HOUR_US * LTIME_HOUR_US;
	if (h0 > m->first_us)
		h0 -= LTIME_HOUR_US;
	size_t nh = (size_t)((m->last_us - h0) / LTIME_HOUR_US + 1);
	if (nh > MAX_SERIES_HOURS || nh <= METRICS_MIN_HISTORY)
		return LT_OK;
	lt_sort(m->cells, m->ncells, sizeof *m->cells, cmp_cell);
	dense *d = malloc(nh * sizeof *d);
	double *tmp = malloc((METRICS_WINDOW_HOURS + 1) * sizeof *tmp);
	lt_status st = d && tmp ? LT_OK : LT_EFATAL;
	for (size_t lo = 0; lo < m->ncells && st == LT_OK;) {
		size_t hi = lo;
		memset(d, 0, nh * sizeof *d);
		while (hi < m->ncells && m->cells[hi].series == m->cells[lo].series) {
			const cell *c = &m->cells[hi++];
			size_t i = (size_t)((c->hour - h0) / LTIME_HOUR_US);
			d[i].calls = c->inv > c->ct ? c->inv : c->ct;
			d[i].errors = c->inv_err > c->ct_err ? c->inv_err : c->ct_err;
			d[i].throttles = c->inv_thr > c->ct_thr ? c->inv_thr : c->ct_thr;
			d[i].tokens = (double)c->tokens;
		}
		const aseries *s = &m->series[m->cells[lo].series];
		/* judged against its own history only: from its first active hour,
		 * after METRICS_MIN_HISTORY hours of it (a new series has no baseline;
		 * its appearance is a first-seen matter) */
		size_t born = (size_t)((m->cells[lo].hour - h0) / LTIME_HOUR_US);
		for (size_t h = born + METRICS_MIN_HISTORY; h < nh && st == LT_OK; h++) {
			st = judge_count(m, s, d, born, h, h0, false, tmp);
			if (st == LT_OK)
				st = judge_count(m, s, d, born, h, h0, true, tmp);
			if (st == LT_OK)
				st = judge_rate(m, s, d, born, h, h0, false, tmp);
			if (st == LT_OK)
				st = judge_rate(m, s, d, born, h, h0, true, tmp);
		}
		lo = hi;
	}
	free(d);
	free(tmp);
	return st;
}

static int cmp_fs(const void *a, const void *b)
{
	const first_seen *x = a, *y = b;
	if (x->time_us != y->time_us)
		return x->time_us < y->time_us ? -1 : 1;
	return strcmp(x->value, y->value);
}

static lt_status judge_first_seen(metrics *m)
{
	if (m->first_us > m->last_us)
		return LT_OK;
	/* with an earlier case learnt, its span is the history and this case is judged from its start */
	bool history = m->history_first_us <= m->history_last_us;
	int64_t span = history ? (m->history_last_us > m->last_us ? m->history_last_us : m->last_us) -
	                             (m->history_first_us < m->first_us ? m->history_first_us : m->first_us)
	                       : m->last_us - m->first_us;
	if (span < (int64_t)METRICS_FIRST_SEEN_MIN_DAYS * 24 * LTIME_HOUR_US) {
		m->first_seen_short = true; /* too short to learn what is usual: nothing is "new" */
		return LT_OK;
	}
	int64_t cut = history ? m->first_us - 1 : m->first_us + (int64_t)METRICS_FIRST_SEEN_HOURS * LTIME_HOUR_US;
	static const metrics_anomaly_kind kinds[FS_COUNT] = {METRICS_A_NEW_PRINCIPAL, METRICS_A_NEW_MODEL,
	                                                     METRICS_A_NEW_SOURCE_IP, METRICS_A_NEW_USER_AGENT};
	for (int k = 0; k < FS_COUNT; k++) {
		fs_table *t = &m->fs[k];
		lt_sort(t->v, t->n, sizeof *t->v, cmp_fs);
		size_t kept = 0;
		for (size_t i = 0; i < t->n && kept < METRICS_FIRST_SEEN_MAX; i++) {
			const first_seen *f = &t->v[i];
			if (f->time_us <= cut)
				continue;
			metrics_anomaly a = {kinds[k], "", f->value, f->time_us, 0, 0, 0, 0,
			                     f->principal, f->source, f->uid};
			if (push_anomaly(m, &a) != LT_OK)
				return LT_EFATAL;
			kept++;
		}
	}
	return LT_OK;
}

static int cmp_anomaly(const void *a, const void *b)
{
	const metrics_anomaly *x = a, *y = b;
	if (x->hour_us != y->hour_us)
		return x->hour_us < y->hour_us ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	int c = strcmp(x->series, y->series);
	return c ? c : strcmp(x->name, y->name);
}

/* One cause, one anomaly: a model's count spike in an hour where some
 * principal's spike of the same kind is at least as large above its own
 * median is that principal's burst seen again (a batch job spread over six
 * models is one job), and is dropped; the principal's anomaly stays. */
static void fold_model_spikes(metrics *m)
{
	size_t k = 0;
	for (size_t i = 0; i < m->nanom; i++) {
		const metrics_anomaly *a = &m->anom[i];
		bool explained = false;
		bool count = a->kind == METRICS_A_INVOCATIONS || a->kind == METRICS_A_TOKENS;
		for (size_t j = 0; count && !explained && strcmp(a->series, "model") == 0 && j < m->nanom; j++) {
			const metrics_anomaly *p = &m->anom[j];
			explained = p->kind == a->kind && p->hour_us == a->hour_us && strcmp(p->series, "principal") == 0 &&
			            p->value - p->median >= a->value - a->median;
		}
		if (!explained)
			m->anom[k++] = *a;
	}
	m->nanom = k;
}

lt_status metrics_finish(metrics *m, lt_error *err)
{
	if (m->finished)
		return LT_OK;
	m->finished = true;
	lt_status st = LT_OK;
	for (int i = 0; i < G_COUNT && st == LT_OK; i++)
		st = make_rows(m, &m->g[i]);
	m->total.pub.latency_p50 = m->total.pub.latency_p90 = m->total.pub.latency_p99 = (double)NAN;
	lt_sort(m->errors.v, m->errors.n, sizeof *m->errors.v, cmp_count);
	lt_sort(m->guardrail.v, m->guardrail.n, sizeof *m->guardrail.v, cmp_count);
	lt_sort(m->actions.v, m->actions.n, sizeof *m->actions.v, cmp_count);
	lt_sort(m->resources.v, m->resources.n, sizeof *m->resources.v, cmp_count);
	lt_sort(m->credentials.v, m->credentials.n, sizeof *m->credentials.v, cmp_count);
	if (st == LT_OK)
		st = judge_series(m);
	if (st == LT_OK)
		fold_model_spikes(m);
	if (st == LT_OK)
		st = judge_first_seen(m);
	if (m->nanom)
		lt_sort(m->anom, m->nanom, sizeof *m->anom, cmp_anomaly);
	return st == LT_OK ? LT_OK : lt_error_set(err, LT_EFATAL, "metrics: out of memory");
}

lt_status metrics_run(case_db *c, metrics *m, lt_error *err)
{
	replay_filter f;
	replay_filter_init(&f);
	f.since_us = m->opt.since_us;
	f.until_us = m->opt.until_us;
	f.flags = REPLAY_NO_DERIVE;
	replay *r = NULL;
	lt_status st = replay_new(c, &f, &r, err);
	if (st != LT_OK)
		return st;
	const event *ev = NULL;
	for (;;) {
		lt_status rs = replay_next(r, &ev, err);
		if (rs == LT_EFATAL) {
			st = rs;
			break;
		}
		if (ev == NULL)
			break;
		st = metrics_add(m, ev, err);
		if (st != LT_OK)
			break;
	}
	replay_free(r);
	if (st == LT_OK)
		st = metrics_finish(m, err);
	return st;
}

/* ---- accessors ------------------------------------------------------------------------ */

size_t metrics_nrows(const metrics *m)
{
	return m->g[G_USER].n;
}

const metrics_row *metrics_row_at(const metrics *m, size_t i)
{
	return &m->g[G_USER].rows[i];
}

const metrics_agg *metrics_total(const metrics *m)
{
	return &m->total.pub;
}

uint64_t metrics_token_bucket(const metrics *m, size_t i)
{
	return i < METRICS_TOKEN_BUCKETS ? m->token_buckets[i] : 0;
}

size_t metrics_nerror_codes(const metrics *m)
{
	return m->errors.n;
}

const metrics_count *metrics_error_code(const metrics *m, size_t i)
{
	return &m->errors.v[i];
}

size_t metrics_nguardrail(const metrics *m)
{
	return m->guardrail.n;
}

const metrics_count *metrics_guardrail(const metrics *m, size_t i)
{
	return &m->guardrail.v[i];
}

size_t metrics_nactions(const metrics *m)
{
	return m->actions.n;
}

const metrics_count *metrics_action(const metrics *m, size_t i)
{
	return &m->actions.v[i];
}

size_t metrics_nresources(const metrics *m)
{
	return m->resources.n;
}

const metrics_count *metrics_resource(const metrics *m, size_t i)
{
	return &m->resources.v[i];
}

size_t metrics_ncredentials(const metrics *m)
{
	return m->credentials.n;
}

const metrics_count *metrics_credential(const metrics *m, size_t i)
{
	return &m->credentials.v[i];
}

size_t metrics_nanomalies(const metrics *m)
{
	return m->nanom;
}

const metrics_anomaly *metrics_anomaly_at(const metrics *m, size_t i)
{
	return &m->anom[i];
}

size_t metrics_view_nrows(const metrics *m, metrics_view v)
{
	return (unsigned)v < METRICS_NVIEWS ? m->g[v].n : 0;
}

const metrics_row *metrics_view_row(const metrics *m, metrics_view v, size_t i)
{
	return &m->g[v].rows[i];
}

const metrics_dim *metrics_by(const metrics *m, size_t *n)
{
	*n = m->opt.nby;
	return m->opt.by;
}

bool metrics_first_seen_short(const metrics *m)
{
	return m->first_seen_short;
}

int64_t metrics_first_us(const metrics *m)
{
	return m->first_us <= m->last_us ? m->first_us : INT64_MIN;
}

int64_t metrics_last_us(const metrics *m)
{
	return m->first_us <= m->last_us ? m->last_us : INT64_MIN;
}
