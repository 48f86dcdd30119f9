/*
 * baseline.c — per-entity behavioural baselines (see baseline.h).
 *
 * Design note: an entity is its kind and (normalised) value hashed to 64
 * bits, in one open-addressed table of fixed capacity (nothing moves), each
 * kind held to its own cap so that thousands of runner IPs cannot crowd out
 * the principals. Its record holds its latest active day and week, how many
 * days and weeks it was active, and per hour of day and hour of week on how
 * many days (weeks). Whether this (entity, hour, day), (entity, hour of week,
 * week) or (entity, attribute, value, day) was counted already is answered
 * by one "seen" set of 64-bit hashes, cleared when half full; attribute day
 * counts live in a count-min sketch keyed by hash(entity, attribute, value).
 * Both approximations only ever over-count, so nothing is judged rarer than
 * it is. Judgements leave out one day (week): the judged activity's own.
 * Which kind learns which attributes is the table `learns` below: the actor
 * kinds (principal, key, issuer) every attribute, an account its regions,
 * APIs, models, networks and client families, the others only their time.
 */
#include "config.h"

#include "analyzers/audit/baseline.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/ltime.h"

#define DAY_US (86400LL * 1000000LL)
#define BASELINE_DAY_BITS 65536 /* days 1970-01-01 .. 2149 */

/* Per kind: its cap and the attributes it learns (bits of baseline_attr). */
#define ALL_ATTRS ((1u << BASELINE_NATTRS) - 1)
static const struct {
	unsigned cap;
	unsigned learns;
} kinds[BASELINE_NKINDS] = {
    [BASELINE_PRINCIPAL] = {16384, ALL_ATTRS},
    [BASELINE_ACCESS_KEY] = {8192, ALL_ATTRS},
    [BASELINE_ACCOUNT] = {1024, 1u << BASELINE_REGION | 1u << BASELINE_OPERATION | 1u << BASELINE_MODEL |
                                    1u << BASELINE_IP_PREFIX | 1u << BASELINE_UA_FAMILY},
    [BASELINE_ISSUER] = {4096, ALL_ATTRS},
    [BASELINE_IP_ENTITY] = {16384, 0},
    [BASELINE_PREFIX_ENTITY] = {8192, 0},
    [BASELINE_UA_FAMILY_ENTITY] = {1024, 0},
    [BASELINE_MODEL_ENTITY] = {1024, 0},
    [BASELINE_REGION_ENTITY] = {256, 0},
    [BASELINE_API_ENTITY] = {4096, 0},
};

typedef struct ent {
	uint64_t key; /* 0: empty slot */
	int32_t last_day, last_week;
	uint16_t days, weeks;
	uint32_t events;
	uint16_t hour_days[24];
	uint8_t how_weeks[168]; /* saturating: 255 weeks is five years */
} ent;

struct baseline {
	ent *ents;
	size_t nents, by_kind[BASELINE_NKINDS];
	uint64_t untracked, untracked_kind[BASELINE_NKINDS];
	uint16_t *cms; /* BASELINE_CMS_DEPTH rows */
	uint64_t *seen;
	size_t nseen;
	uint64_t seen_resets;
	uint64_t daybits[BASELINE_DAY_BITS / 64]; /* the case's active days, exactly */
	uint32_t days;
};

size_t baseline_kind_cap(baseline_kind kind)
{
	return (unsigned)kind < BASELINE_NKINDS ? kinds[kind].cap : 0;
}

size_t baseline_memory_bytes(void)
{
	return sizeof(baseline) + (size_t)BASELINE_ENT_SLOTS * sizeof(ent) +
	       (size_t)BASELINE_CMS_DEPTH * BASELINE_CMS_WIDTH * sizeof(uint16_t) +
	       (size_t)BASELINE_SEEN_SLOTS * sizeof(uint64_t);
}

baseline *baseline_new(void)
{
	baseline *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NULL;
	b->ents = calloc(BASELINE_ENT_SLOTS, sizeof *b->ents);
	b->cms = calloc((size_t)BASELINE_CMS_DEPTH * BASELINE_CMS_WIDTH, sizeof *b->cms);
	b->seen = calloc(BASELINE_SEEN_SLOTS, sizeof *b->seen);
	if (b->ents == NULL || b->cms == NULL || b->seen == NULL) {
		baseline_free(b);
		return NULL;
	}
	return b;
}

void baseline_free(baseline *b)
{
	if (b == NULL)
		return;
	free(b->ents);
	free(b->cms);
	free(b->seen);
	free(b);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* FNV-1a of a seed, a tag byte and the text, mixed; never 0 (the empty slot). */
static uint64_t hash_text(uint64_t seed, unsigned tag, rpt_str s)
{
	uint64_t h = (LT_FNV64_SEED_SHORT ^ seed) * LT_FNV64_PRIME;
	h = lt_fnv64_byte(h, (unsigned char)tag);
	h = mix(lt_fnv64_add(h, s.p, s.n));
	return h ? h : 1;
}

/* Day number, hour of day, week number and hour of week (weeks start on
 * Monday 00:00 UTC; 1970-01-01 was a Thursday). */
static void when(int64_t t_us, int32_t *day, int *hour, int32_t *week, int *how)
{
	int64_t d = ltime_floor_div(t_us, DAY_US);
	int64_t h = ltime_floor_div(t_us - d * DAY_US, 3600LL * 1000000LL);
	int64_t dm = d + 3; /* days since Monday 1969-12-29 */
	*day = (int32_t)d;
	*hour = (int)h;
	*week = (int32_t)ltime_floor_div(dm, 7);
	*how = (int)((dm - (int64_t)*week * 7) * 24 + h);
}

static ent *find_ent(const baseline *b, uint64_t key)
{
	size_t mask = BASELINE_ENT_SLOTS - 1, i = (size_t)key & mask;
	while (b->ents[i].key != 0) {
		if (b->ents[i].key == key)
			return &b->ents[i];
		i = (i + 1) & mask;
	}
	return NULL;
}

static ent *get_ent(baseline *b, baseline_kind kind, uint64_t key)
{
	size_t mask = BASELINE_ENT_SLOTS - 1, i = (size_t)key & mask;
	while (b->ents[i].key != 0) {
		if (b->ents[i].key == key)
			return &b->ents[i];
		i = (i + 1) & mask;
	}
	if (b->by_kind[kind] >= kinds[kind].cap)
		return NULL;
	ent *e = &b->ents[i];
	e->key = key;
	e->last_day = e->last_week = INT32_MIN;
	b->nents++;
	b->by_kind[kind]++;
	return e;
}

static uint64_t seen_id(uint64_t key, int32_t period)
{
	uint64_t k = mix(key ^ ((uint64_t)(uint32_t)period * 0x9e3779b97f4a7c15ull));
	return k ? k : 1;
}

/* Whether (key, period) was learned (and not forgotten by a reset). */
static bool seen_has(const baseline *b, uint64_t key, int32_t period)
{
	uint64_t k = seen_id(key, period);
	size_t mask = BASELINE_SEEN_SLOTS - 1, i = (size_t)k & mask;
	for (; b->seen[i] != 0; i = (i + 1) & mask)
		if (b->seen[i] == k)
			return true;
	return false;
}

/* True the first time (key, period) is asked about (or again after a reset). */
static bool first_in(baseline *b, uint64_t key, int32_t period)
{
	uint64_t k = seen_id(key, period);
	if (b->nseen >= BASELINE_SEEN_SLOTS / 2) {
		memset(b->seen, 0, BASELINE_SEEN_SLOTS * sizeof *b->seen);
		b->nseen = 0;
		b->seen_resets++;
	}
	size_t mask = BASELINE_SEEN_SLOTS - 1, i = (size_t)k & mask;
	while (b->seen[i] != 0) {
		if (b->seen[i] == k)
			return false;
		i = (i + 1) & mask;
	}
	b->seen[i] = k;
	b->nseen++;
	return true;
}

/* A key for "this entity in this hour (of day: tag 1, of week: tag 2)". */
static uint64_t hour_key(uint64_t entity, unsigned tag, int hour)
{
	uint64_t k = mix(entity + ((uint64_t)tag << 40) + (uint64_t)hour + 1);
	return k ? k : 1;
}

static void learn_time(baseline *b, ent *e, int64_t t_us)
{
	int32_t day, week;
	int hour, how;
	when(t_us, &day, &hour, &week, &how);
	if (e->events < UINT32_MAX)
		e->events++;
	if (e->last_day != day && e->days < UINT16_MAX)
		e->days++;
	e->last_day = day;
	if (e->last_week != week && e->weeks < UINT16_MAX)
		e->weeks++;
	e->last_week = week;
	if (first_in(b, hour_key(e->key, 1, hour), day) && e->hour_days[hour] < UINT16_MAX)
		e->hour_days[hour]++;
	if (first_in(b, hour_key(e->key, 2, how), week) && e->how_weeks[how] < UINT8_MAX)
		e->how_weeks[how]++;
}

static size_t cms_slot(uint64_t key, unsigned row)
{
	return (size_t)row * BASELINE_CMS_WIDTH +
	       (size_t)(mix(key + (uint64_t)(row + 1) * 0x9e3779b97f4a7c15ull) & (BASELINE_CMS_WIDTH - 1));
}

static unsigned cms_get(const baseline *b, uint64_t key)
{
	unsigned m = UINT16_MAX;
	for (unsigned r = 0; r < BASELINE_CMS_DEPTH; r++) {
		unsigned v = b->cms[cms_slot(key, r)];
		m = v < m ? v : m;
	}
	return m;
}

static void cms_add(baseline *b, uint64_t key)
{
	unsigned cur = cms_get(b, key);
	for (unsigned r = 0; r < BASELINE_CMS_DEPTH; r++) { /* conservative update */
		uint16_t *c = &b->cms[cms_slot(key, r)];
		if (*c == cur && *c < UINT16_MAX)
			(*c)++;
	}
}

/* ---- normalised values ---------------------------------------------------- */

static rpt_str ip_prefix(rpt_str ip, char out[BASELINE_TEXT_MAX])
{
	char text[INET6_ADDRSTRLEN + 1];
	unsigned char a[16];
	if (ip.n == 0 || ip.n >= sizeof text)
		return ip;
	memcpy(text, ip.p, ip.n);
	text[ip.n] = '\0';
	if (inet_pton(AF_INET, text, a) == 1) {
		int n = snprintf(out, BASELINE_TEXT_MAX, "%u.%u.%u.0/24", a[0], a[1], a[2]);
		return rpt_sn(out, (size_t)n);
	}
	if (inet_pton(AF_INET6, text, a) == 1) {
		int n = snprintf(out, BASELINE_TEXT_MAX, "%x:%x:%x::/48", a[0] << 8 | a[1], a[2] << 8 | a[3],
		                 a[4] << 8 | a[5]);
		return rpt_sn(out, (size_t)n);
	}
	return ip; /* a service name ("bedrock.amazonaws.com"): its own network */
}

/* The first product token's name, lower case: up to '/', a blank, ';', '('
 * or ')' (leading '[' and blanks skipped). */
static rpt_str ua_family(rpt_str ua, char out[BASELINE_TEXT_MAX])
{
	size_t i = 0, n = 0;
	while (i < ua.n && (ua.p[i] == ' ' || ua.p[i] == '[' || ua.p[i] == '"'))
		i++;
	for (; i < ua.n && n < BASELINE_TEXT_MAX - 1; i++) {
		char c = ua.p[i];
		if (c == '/' || c == ' ' || c == ';' || c == '(' || c == ')' || c == ']')
			break;
		out[n++] = (char)tolower((unsigned char)c);
	}
	out[n] = '\0';
	return n ? rpt_sn(out, n) : ua;
}

static rpt_str session_issuer(rpt_str principal, char out[BASELINE_TEXT_MAX])
{
	static const char tag[] = ":assumed-role/";
	const char *role = NULL;
	for (size_t i = 0; principal.n >= sizeof tag && i + sizeof tag - 1 <= principal.n && role == NULL; i++)
		if (memcmp(principal.p + i, tag, sizeof tag - 1) == 0)
			role = principal.p + i + sizeof tag - 1;
	if (role == NULL)
		return rpt_sn(out, 0);
	const char *slash = memchr(role, '/', (size_t)(principal.p + principal.n - role));
	size_t n = slash ? (size_t)(slash - principal.p) : principal.n;
	if (n >= BASELINE_TEXT_MAX)
		n = BASELINE_TEXT_MAX - 1;
	memcpy(out, principal.p, n);
	out[n] = '\0';
	return rpt_sn(out, n);
}

rpt_str baseline_normalise(baseline_kind kind, rpt_str raw, char out[BASELINE_TEXT_MAX])
{
	if (raw.n == 0)
		return raw;
	switch (kind) {
	case BASELINE_PREFIX_ENTITY:
		return ip_prefix(raw, out);
	case BASELINE_UA_FAMILY_ENTITY:
		return ua_family(raw, out);
	case BASELINE_ISSUER:
		return session_issuer(raw, out);
	default:
		return raw;
	}
}

/* The kind whose normalisation an attribute's values get. */
static baseline_kind attr_norm(baseline_attr attr)
{
	return attr == BASELINE_IP_PREFIX ? BASELINE_PREFIX_ENTITY
	     : attr == BASELINE_UA_FAMILY ? BASELINE_UA_FAMILY_ENTITY
	                                  : BASELINE_PRINCIPAL; /* raw */
}

/* ---- learning ----------------------------------------------------------- */

/* A value is hashed once per event (value_hash), then combined with each
 * entity that saw it (value_key): the text is not read again per entity. */
static uint64_t value_hash(baseline_attr attr, rpt_str value)
{
	return hash_text(0, 16u + (unsigned)attr, value);
}

static uint64_t value_key(uint64_t entity, uint64_t vhash)
{
	uint64_t k = mix(entity ^ (vhash * 0x9e3779b97f4a7c15ull));
	return k ? k : 1;
}

static uint64_t entity_key(baseline_kind kind, rpt_str normalised)
{
	return hash_text(0, (unsigned)kind, normalised);
}

/* vh[a]: value_hash of the event's attribute a, 0 when it has none. */
static void learn_entity(baseline *b, baseline_kind kind, rpt_str who, const rpt_event_in *ev,
                         const uint64_t vh[BASELINE_NATTRS])
{
	if (who.n == 0)
		return;
	uint64_t key = entity_key(kind, who);
	ent *e = get_ent(b, kind, key);
	if (e == NULL) {
		b->untracked++;
		b->untracked_kind[kind]++;
		return;
	}
	learn_time(b, e, ev->time_us);
	for (unsigned a = 0; a < BASELINE_NATTRS; a++) {
		if (vh[a] == 0 || !(kinds[kind].learns & (1u << a)))
			continue;
		uint64_t vk = value_key(key, vh[a]);
		if (first_in(b, vk, e->last_day))
			cms_add(b, vk);
	}
}

void baseline_observe(baseline *b, const rpt_event_in *ev)
{
	char pfx[BASELINE_TEXT_MAX], fam[BASELINE_TEXT_MAX], iss[BASELINE_TEXT_MAX];
	rpt_str prefix = ip_prefix(ev->source_ip, pfx), family = ua_family(ev->user_agent, fam);
	const rpt_str vals[BASELINE_NATTRS] = {ev->source_ip, ev->user_agent, ev->model, ev->region,
	                                       ev->action,    prefix,         family};
	uint64_t vh[BASELINE_NATTRS];
	for (unsigned a = 0; a < BASELINE_NATTRS; a++)
		vh[a] = vals[a].n ? value_hash((baseline_attr)a, vals[a]) : 0;
	int32_t day, week;
	int hour, how;
	when(ev->time_us, &day, &hour, &week, &how);
	if (day >= 0 && day < BASELINE_DAY_BITS && !(b->daybits[day / 64] & 1ull << (day % 64))) {
		b->daybits[day / 64] |= 1ull << (day % 64);
		b->days++;
	}
	const rpt_str who[BASELINE_NKINDS] = {
	    [BASELINE_PRINCIPAL] = ev->principal,      [BASELINE_ACCESS_KEY] = ev->access_key,
	    [BASELINE_ACCOUNT] = ev->account,          [BASELINE_ISSUER] = session_issuer(ev->principal, iss),
	    [BASELINE_IP_ENTITY] = ev->source_ip,      [BASELINE_PREFIX_ENTITY] = prefix,
	    [BASELINE_UA_FAMILY_ENTITY] = family,      [BASELINE_MODEL_ENTITY] = ev->model,
	    [BASELINE_REGION_ENTITY] = ev->region,     [BASELINE_API_ENTITY] = ev->action,
	};
	for (unsigned k = 0; k < BASELINE_NKINDS; k++)
		learn_entity(b, (baseline_kind)k, who[k], ev, vh);
}

/* ---- judging ------------------------------------------------------------ */

/* The class of `with` of the `of` other periods (one left out: the judged one's). */
static baseline_rarity classify(unsigned with, unsigned of, unsigned min)
{
	unsigned others = with > 0 ? with - 1 : 0, n = of > 0 ? of - 1 : 0;
	if (n < min)
		return BASELINE_UNKNOWN;
	if (others == 0)
		return BASELINE_UNSEEN;
	if (others * 10 < n)
		return BASELINE_RARE;
	if (others * 10 < n * 4)
		return BASELINE_INFREQUENT;
	return BASELINE_FREQUENT;
}

static const ent *lookup(const baseline *b, baseline_kind kind, rpt_str entity, uint64_t *key)
{
	char norm[BASELINE_TEXT_MAX];
	if ((unsigned)kind >= BASELINE_NKINDS || entity.n == 0)
		return NULL;
	rpt_str n = baseline_normalise(kind, entity, norm);
	if (n.n == 0)
		return NULL;
	*key = entity_key(kind, n);
	return find_ent(b, *key);
}

baseline_rarity baseline_hour(const baseline *b, baseline_kind kind, rpt_str entity, int64_t t_us)
{
	uint64_t key;
	const ent *e = lookup(b, kind, entity, &key);
	if (e == NULL)
		return BASELINE_UNKNOWN;
	int32_t day, week;
	int hour, how;
	when(t_us, &day, &hour, &week, &how);
	/* with: the judged period is one of them even if not learned (or
	 * forgotten by a reset: that over-states the share, never rarer) */
	if (e->weeks > BASELINE_MIN_WEEKS)
		return classify((unsigned)e->how_weeks[how] + !seen_has(b, hour_key(key, 2, how), week), e->weeks,
		                BASELINE_MIN_WEEKS);
	return classify((unsigned)e->hour_days[hour] + !seen_has(b, hour_key(key, 1, hour), day), e->days,
	                BASELINE_MIN_DAYS);
}

baseline_rarity baseline_value(const baseline *b, baseline_kind kind, rpt_str entity, baseline_attr attr,
                               rpt_str value)
{
	char norm[BASELINE_TEXT_MAX];
	uint64_t key;
	if (value.n == 0 || (unsigned)attr >= BASELINE_NATTRS || (unsigned)kind >= BASELINE_NKINDS ||
	    !(kinds[kind].learns & (1u << attr)))
		return BASELINE_UNKNOWN;
	const ent *e = lookup(b, kind, entity, &key);
	if (e == NULL)
		return BASELINE_UNKNOWN;
	rpt_str v = baseline_normalise(attr_norm(attr), value, norm);
	unsigned days = cms_get(b, value_key(key, value_hash(attr, v)));
	return classify(days > 0 ? days : 1, e->days, BASELINE_MIN_DAYS);
}

baseline_rarity baseline_entity(const baseline *b, baseline_kind kind, rpt_str entity, int64_t t_us)
{
	uint64_t key = 0;
	if ((unsigned)kind >= BASELINE_NKINDS)
		return BASELINE_UNKNOWN;
	const ent *e = lookup(b, kind, entity, &key);
	int32_t day, week;
	int hour, how;
	when(t_us, &day, &hour, &week, &how);
	if (e == NULL) /* never learned: unseen, unless the cap turned some away */
		return key == 0 || b->untracked_kind[kind] ? BASELINE_UNKNOWN : classify(1, b->days, BASELINE_MIN_DAYS);
	return classify((unsigned)e->days + (e->last_day != day), b->days, BASELINE_MIN_DAYS);
}

bool baseline_unusual(baseline_rarity r)
{
	return r == BASELINE_RARE || r == BASELINE_UNSEEN;
}

const char *baseline_rarity_name(baseline_rarity r)
{
	static const char *const names[] = {"unknown", "frequent", "infrequent", "rare", "unseen"};
	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "unknown";
}

void baseline_get_stats(const baseline *b, baseline_stats *st)
{
	st->entities = b->nents;
	st->untracked = b->untracked;
	st->seen_resets = b->seen_resets;
	st->days = b->days;
	memcpy(st->by_kind, b->by_kind, sizeof st->by_kind);
}
