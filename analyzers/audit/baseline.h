/*
 * baseline.h — per-entity behavioural baselines learned from the case (issue 21 §1).
 *
 * What: for each entity of each kind — principal, access key, account,
 * session issuer (the role behind assumed-role sessions), source IP, IP
 * prefix (IPv4 /24, IPv6 /48: an ASN-like network), user-agent family
 * ("aws-cli/2.15.3 Python/3.11" -> "aws-cli"), model, region and API
 * (eventName) — how often it was active (distinct days of the case's active
 * days), when (hour of day over days, hour of week over weeks), and for the
 * actor kinds, with what: on how many days it was seen with each source IP,
 * IP prefix, user agent, user-agent family, model, region and operation
 * (principal x API, key x IP prefix, key x UA family, account x region ...;
 * the table in baseline.c says which kind learns which). A judgement says
 * how usual an entity, an hour or a value is, GuardDuty-style: frequent,
 * infrequent, rare, unseen, or unknown when the history is too short.
 *
 * Counts are of distinct days (weeks for hour of week), never of events: a
 * burst of 5,000 calls in one night is one day, so it does not make its own
 * hour usual, and a judgement leaves one day (week) out, the judged
 * activity's own. So "unseen" means: on no other day of the entity's history.
 *
 * Classes, from the share s of the entity's other active days (weeks) that
 * had it: unseen s = 0, rare s < 10 %, infrequent s < 40 %, frequent
 * otherwise. Unknown below BASELINE_MIN_DAYS other active days (hour of day,
 * values, entities against the case's days) and BASELINE_MIN_WEEKS other
 * weeks (hour of week is used from then on, hour of day before).
 *
 * Memory bounds (stated, whatever the evidence; baseline_memory_bytes):
 * - at most baseline_kind_cap(kind) entities per kind (BASELINE_MAX_ENTITIES
 *   in all), 240 bytes each, in one table of BASELINE_ENT_SLOTS slots
 *   (31.5 MB of address space, pages touched as entities arrive); an entity
 *   past its kind's cap is not learned and judged unknown (counted);
 * - (entity, attribute, value) day counts in a count-min sketch of
 *   BASELINE_CMS_DEPTH x BASELINE_CMS_WIDTH 16-bit counters (2 MB): it can
 *   only over-count, so a value is never judged rarer than it is;
 * - the "seen today" set that makes counts distinct-day (and distinct-week
 *   for hours of the week) holds at most BASELINE_SEEN_SLOTS / 2 entries
 *   (16 MB); when full it starts afresh, which can only count a day twice
 *   (again: never rarer than it is).
 * Ownership: baseline_new / baseline_free. Not thread-safe.
 */
#ifndef LLMTRAIL_ANALYZERS_AUDIT_BASELINE_H
#define LLMTRAIL_ANALYZERS_AUDIT_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/report.h"

#define BASELINE_MAX_ENTITIES 60672u /* the sum of the per-kind caps (baseline.c) */
#define BASELINE_ENT_SLOTS (1u << 17)
#define BASELINE_CMS_DEPTH 4u
#define BASELINE_CMS_WIDTH (1u << 18)
#define BASELINE_SEEN_SLOTS (1u << 21)
#define BASELINE_MIN_DAYS 3u
#define BASELINE_MIN_WEEKS 2u
#define BASELINE_TEXT_MAX 96 /* bytes of a normalised value (IP prefix, UA family, issuer) */

typedef enum baseline_rarity {
	BASELINE_UNKNOWN = 0,
	BASELINE_FREQUENT,
	BASELINE_INFREQUENT,
	BASELINE_RARE,
	BASELINE_UNSEEN
} baseline_rarity;

/* Entity kinds. Each is named by the event's raw value: an issuer by the
 * session's principal ARN, a prefix by the IP, a UA family by the user agent
 * (baseline_normalise). */
typedef enum baseline_kind {
	BASELINE_PRINCIPAL = 0,
	BASELINE_ACCESS_KEY,
	BASELINE_ACCOUNT,
	BASELINE_ISSUER,
	BASELINE_IP_ENTITY,
	BASELINE_PREFIX_ENTITY,
	BASELINE_UA_FAMILY_ENTITY,
	BASELINE_MODEL_ENTITY,
	BASELINE_REGION_ENTITY,
	BASELINE_API_ENTITY,
	BASELINE_NKINDS
} baseline_kind;

typedef enum baseline_attr {
	BASELINE_SOURCE_IP = 0,
	BASELINE_USER_AGENT,
	BASELINE_MODEL,
	BASELINE_REGION,
	BASELINE_OPERATION,
	BASELINE_IP_PREFIX,
	BASELINE_UA_FAMILY,
	BASELINE_NATTRS
} baseline_attr;

typedef struct baseline baseline;

baseline *baseline_new(void);
void baseline_free(baseline *b);

/* Learns one event (its principal, access key, account, issuer, source IP
 * and prefix, user agent and family, model, region and action). Events in
 * time order count distinct days exactly; out of order they may count a day
 * twice (never rarer). */
void baseline_observe(baseline *b, const rpt_event_in *ev);

/* How usual the hour of t_us (UTC) is for the entity. */
baseline_rarity baseline_hour(const baseline *b, baseline_kind kind, rpt_str entity, int64_t t_us);
/* How usual value (raw: an IP for BASELINE_IP_PREFIX, a user agent for
 * BASELINE_UA_FAMILY) is as attr of the entity; unknown when the kind does
 * not learn attr. */
baseline_rarity baseline_value(const baseline *b, baseline_kind kind, rpt_str entity, baseline_attr attr,
                               rpt_str value);
/* How usual the entity itself is on the case's days, the day of t_us left
 * out: unseen when it was active on no other day. Unknown below
 * BASELINE_MIN_DAYS other days of the case, or when an entity of its kind
 * was ever turned away by the cap (absence then proves nothing). */
baseline_rarity baseline_entity(const baseline *b, baseline_kind kind, rpt_str entity, int64_t t_us);
/* An unusual one: rare or unseen (never unknown). */
bool baseline_unusual(baseline_rarity r);
/* "unknown", "frequent", "infrequent", "rare", "unseen". */
const char *baseline_rarity_name(baseline_rarity r);

/* The text an entity of kind (or a value of the matching attribute) is
 * counted as, written to out[BASELINE_TEXT_MAX] for the normalised kinds:
 * IP prefix "198.51.100.0/24" / "2001:db8:1::/48" (a value that is not an
 * address is itself), UA family (the first product token's name, lower
 * case, without its version: "aws-cli", "boto3"), issuer
 * "arn:aws:sts::1:assumed-role/ROLE" of a session ARN (empty for anything
 * else); other kinds are raw itself. */
rpt_str baseline_normalise(baseline_kind kind, rpt_str raw, char out[BASELINE_TEXT_MAX]);

typedef struct baseline_stats {
	size_t entities;                      /* learned, all kinds */
	size_t by_kind[BASELINE_NKINDS];      /* learned per kind, each <= baseline_kind_cap */
	uint64_t untracked;                   /* events of entities past their kind's cap */
	uint64_t seen_resets;                 /* times the seen-today set started afresh */
	uint32_t days;                        /* distinct days of the case with events */
} baseline_stats;
void baseline_get_stats(const baseline *b, baseline_stats *st);
/* The cap of a kind, and the bytes a baseline holds whatever it is fed. */
size_t baseline_kind_cap(baseline_kind kind);
size_t baseline_memory_bytes(void);

#endif
