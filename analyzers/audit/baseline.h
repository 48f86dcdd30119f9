/*
 * baseline.h — per-entity behavioural baselines learned from the case (issue 21 §1).
 *
 * What: for each principal and each access key, on which days and at which
 * hours it was active (hour of day over days, hour of week over weeks), and
 * on how many days it was seen with each source IP, user agent, model,
 * region and operation. A judgement says how usual an hour or a value is for
 * an entity, GuardDuty-style: frequent, infrequent, rare, unseen, or unknown
 * when the entity's history is too short to say.
 *
 * Counts are of distinct days (weeks for hour of week), never of events: a
 * burst of 5,000 calls in one night is one day, so it does not make its own
 * hour usual, and a judgement leaves one day (week) out, the judged
 * activity's own. So "unseen" means: on no other day of the entity's history.
 *
 * Classes, from the share s of the entity's other active days (weeks) that
 * had it: unseen s = 0, rare s < 10 %, infrequent s < 40 %, frequent
 * otherwise. Unknown below BASELINE_MIN_DAYS other active days (hour of day,
 * values) and BASELINE_MIN_WEEKS other weeks (hour of week is used from
 * then on, hour of day before).
 *
 * Memory bounds (stated, whatever the evidence):
 * - at most BASELINE_MAX_ENTITIES entities, 840 bytes each, in a table of
 *   twice as many slots (27.5 MB of address space, pages touched as
 *   entities arrive); an entity past it is not learned and judged unknown
 *   (counted);
 * - (entity, attribute, value) day counts in a count-min sketch of
 *   BASELINE_CMS_DEPTH x BASELINE_CMS_WIDTH 16-bit counters (512 KB): it can
 *   only over-count, so a value is never judged rarer than it is;
 * - the "seen today" set that makes counts distinct-day holds at most
 *   BASELINE_SEEN_SLOTS / 2 entries (8 MB); when full it starts afresh, which
 *   can only count a day twice (again: never rarer than it is).
 * Ownership: baseline_new / baseline_free. Not thread-safe.
 */
#ifndef LLMTRAIL_ANALYZERS_AUDIT_BASELINE_H
#define LLMTRAIL_ANALYZERS_AUDIT_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/report.h"

#define BASELINE_MAX_ENTITIES 16384u
#define BASELINE_CMS_DEPTH 4u
#define BASELINE_CMS_WIDTH 65536u
#define BASELINE_SEEN_SLOTS (1u << 20)
#define BASELINE_MIN_DAYS 3u
#define BASELINE_MIN_WEEKS 2u

typedef enum baseline_rarity {
	BASELINE_UNKNOWN = 0,
	BASELINE_FREQUENT,
	BASELINE_INFREQUENT,
	BASELINE_RARE,
	BASELINE_UNSEEN
} baseline_rarity;

typedef enum baseline_kind { BASELINE_PRINCIPAL = 0, BASELINE_ACCESS_KEY } baseline_kind;

typedef enum baseline_attr {
	BASELINE_SOURCE_IP = 0,
	BASELINE_USER_AGENT,
	BASELINE_MODEL,
	BASELINE_REGION,
	BASELINE_OPERATION,
	BASELINE_NATTRS
} baseline_attr;

typedef struct baseline baseline;

baseline *baseline_new(void);
void baseline_free(baseline *b);

/* Learns one event (its principal, access key, source IP, user agent, model,
 * region and action). Events in time order count distinct days exactly;
 * out of order they may count a day twice (never rarer). */
void baseline_observe(baseline *b, const rpt_event_in *ev);

/* How usual the hour of t_us (UTC) is for the entity. */
baseline_rarity baseline_hour(const baseline *b, baseline_kind kind, rpt_str entity, int64_t t_us);
/* How usual value is as attr of the entity. */
baseline_rarity baseline_value(const baseline *b, baseline_kind kind, rpt_str entity, baseline_attr attr,
                               rpt_str value);
/* An unusual one: rare or unseen (never unknown). */
bool baseline_unusual(baseline_rarity r);
/* "unknown", "frequent", "infrequent", "rare", "unseen". */
const char *baseline_rarity_name(baseline_rarity r);

typedef struct baseline_stats {
	size_t entities;       /* learned */
	uint64_t untracked;    /* events of entities past BASELINE_MAX_ENTITIES */
	uint64_t seen_resets;  /* times the seen-today set started afresh */
} baseline_stats;
void baseline_get_stats(const baseline *b, baseline_stats *st);

#endif
