/*
 * baseline.c — per-entity behavioural baselines (see baseline.h).
 *
 * Design note: an entity is its kind and value hashed to 64 bits, in an
 * open-addressed table (capacity fixed at 2 x BASELINE_MAX_ENTITIES, so
 * nothing moves). Its record holds the latest day and week it was active and,
 * per hour of day and hour of week, the latest day (week) it was active then
 * and on how many days (weeks): an event of an already counted day changes
 * nothing, which is what makes the counts distinct-day with O(1) per event.
 * Attribute values are counted the same way in a count-min sketch keyed by
 * hash(entity, attribute, value), the "already counted today" question being
 * answered by a set of hash(entity, attribute, value, day); the set is
 * cleared when half full. Both approximations only ever over-count, so an
 * hour or value is never judged rarer than it is. Judgements leave out one
 * day (week): the judged activity's own.
 */
#include "config.h"

#include "analyzers/audit/baseline.h"

#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/ltime.h"

#define DAY_US (86400LL * 1000000LL)
#define ENT_SLOTS (2u * BASELINE_MAX_ENTITIES)

typedef struct ent {
	uint64_t key; /* 0: empty slot */
	int32_t last_day, last_week;
	uint16_t days, weeks;
	int32_t hour_last[24];
	uint16_t hour_days[24];
	int16_t how_last[168]; /* week number of the latest activity in this hour of week */
	uint16_t how_weeks[168];
} ent;

struct baseline {
	ent *ents;
	size_t nents;
	uint64_t untracked;
	uint16_t *cms; /* BASELINE_CMS_DEPTH rows */
	uint64_t *seen;
	size_t nseen;
	uint64_t seen_resets;
};

baseline *baseline_new(void)
{
	baseline *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NULL;
	b->ents = calloc(ENT_SLOTS, sizeof *b->ents);
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
	size_t mask = ENT_SLOTS - 1, i = (size_t)key & mask;
	while (b->ents[i].key != 0) {
		if (b->ents[i].key == key)
			return &b->ents[i];
		i = (i + 1) & mask;
	}
	return NULL;
}

static ent *get_ent(baseline *b, uint64_t key)
{
	size_t mask = ENT_SLOTS - 1, i = (size_t)key & mask;
	while (b->ents[i].key != 0) {
		if (b->ents[i].key == key)
			return &b->ents[i];
		i = (i + 1) & mask;
	}
	if (b->nents >= BASELINE_MAX_ENTITIES)
		return NULL;
	ent *e = &b->ents[i];
	e->key = key;
	e->last_day = e->last_week = INT32_MIN;
	for (int h = 0; h < 24; h++)
		e->hour_last[h] = INT32_MIN;
	for (int h = 0; h < 168; h++)
		e->how_last[h] = INT16_MIN;
	b->nents++;
	return e;
}

static void learn_time(ent *e, int64_t t_us)
{
	int32_t day, week;
	int hour, how;
	when(t_us, &day, &hour, &week, &how);
	if (e->last_day != day && e->days < UINT16_MAX)
		e->days++;
	e->last_day = day;
	if (e->last_week != week && e->weeks < UINT16_MAX)
		e->weeks++;
	e->last_week = week;
	if (e->hour_last[hour] != day && e->hour_days[hour] < UINT16_MAX)
		e->hour_days[hour]++;
	e->hour_last[hour] = day;
	int16_t w16 = (int16_t)week;
	if (e->how_last[how] != w16 && e->how_weeks[how] < UINT16_MAX)
		e->how_weeks[how]++;
	e->how_last[how] = w16;
}

/* True the first time (key, day) is asked about (or again after a reset). */
static bool first_today(baseline *b, uint64_t key, int32_t day)
{
	uint64_t k = mix(key ^ ((uint64_t)(uint32_t)day * 0x9e3779b97f4a7c15ull));
	k = k ? k : 1;
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

/* vh[a]: value_hash of the event's attribute a, 0 when it has none. */
static void learn_entity(baseline *b, baseline_kind kind, rpt_str who, const rpt_event_in *ev,
                         const uint64_t vh[BASELINE_NATTRS])
{
	if (who.n == 0)
		return;
	uint64_t key = hash_text(0, (unsigned)kind, who);
	ent *e = get_ent(b, key);
	if (e == NULL) {
		b->untracked++;
		return;
	}
	learn_time(e, ev->time_us);
	for (unsigned a = 0; a < BASELINE_NATTRS; a++) {
		if (vh[a] == 0)
			continue;
		uint64_t vk = value_key(key, vh[a]);
		if (first_today(b, vk, e->last_day))
			cms_add(b, vk);
	}
}

void baseline_observe(baseline *b, const rpt_event_in *ev)
{
	if (ev->principal.n == 0 && ev->access_key.n == 0)
		return;
	const rpt_str vals[BASELINE_NATTRS] = {ev->source_ip, ev->user_agent, ev->model, ev->region, ev->action};
	uint64_t vh[BASELINE_NATTRS];
	for (unsigned a = 0; a < BASELINE_NATTRS; a++)
		vh[a] = vals[a].n ? value_hash((baseline_attr)a, vals[a]) : 0;
	learn_entity(b, BASELINE_PRINCIPAL, ev->principal, ev, vh);
	learn_entity(b, BASELINE_ACCESS_KEY, ev->access_key, ev, vh);
}

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

baseline_rarity baseline_hour(const baseline *b, baseline_kind kind, rpt_str entity, int64_t t_us)
{
	const ent *e = entity.n ? find_ent(b, hash_text(0, (unsigned)kind, entity)) : NULL;
	if (e == NULL)
		return BASELINE_UNKNOWN;
	int32_t day, week;
	int hour, how;
	when(t_us, &day, &hour, &week, &how);
	/* with: the judged period is one of them even if not learned; of: it is
	 * taken to be among the active ones (if it was not, the share is
	 * over-stated: never rarer than it is) */
	if (e->weeks > BASELINE_MIN_WEEKS)
		return classify((unsigned)e->how_weeks[how] + (e->how_last[how] != (int16_t)week), e->weeks,
		                BASELINE_MIN_WEEKS);
	return classify((unsigned)e->hour_days[hour] + (e->hour_last[hour] != day), e->days, BASELINE_MIN_DAYS);
}

baseline_rarity baseline_value(const baseline *b, baseline_kind kind, rpt_str entity, baseline_attr attr,
                               rpt_str value)
{
	if (entity.n == 0 || value.n == 0 || (unsigned)attr >= BASELINE_NATTRS)
		return BASELINE_UNKNOWN;
	uint64_t key = hash_text(0, (unsigned)kind, entity);
	const ent *e = find_ent(b, key);
	if (e == NULL)
		return BASELINE_UNKNOWN;
	unsigned days = cms_get(b, value_key(key, value_hash(attr, value)));
	return classify(days > 0 ? days : 1, e->days, BASELINE_MIN_DAYS);
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
}
