/*
 * sigma_corr.h — Sigma correlation rules, evaluated exactly over the replay
 * (sigma-correlation-rules-specification.md; DESIGN.md §6). Internal to the
 * Sigma engine: sigma.c parses the documents, resolves the referenced rules
 * and group-by fields, and feeds every base-rule match here in time order.
 *
 * Types: event_count, value_count, value_sum, value_avg, value_percentile
 * (condition.field, condition.percentile 0..100, nearest rank), temporal,
 * temporal_ordered.
 *
 * Two evaluation modes, chosen by the condition:
 * - with a lower bound (gt, gte or eq, possibly with lt/lte as the upper end
 *   of a range) windows slide: a correlation fires on the event that makes
 *   the window ending at it (events within `timespan` before it, inclusive)
 *   satisfy the condition; the group's state is then cleared, so one burst
 *   gives one finding. The finding holds the events that met the condition:
 *   for temporal types those from the start of the completing chain (the
 *   oldest latest-match of each rule; for temporal_ordered the first step of
 *   the chain that completed), not earlier matches of the group.
 * - with only an upper bound (lt/lte alone: "fewer than") a window is fixed:
 *   [first event of the group, first + timespan], both ends inclusive. It is
 *   evaluated when it CLOSES: sigma_corr_expire with a time past its end (the
 *   next event of the replay, whatever its rule), or with SIGMA_CORR_END at
 *   the end of the replay. The next event of the group opens a new window.
 * Correlations of correlations are not evaluated (sigma.c reports them
 * unsupported).
 *
 * Limits: SIGMA_CORR_MAX_GROUPS groups per rule, SIGMA_CORR_MAX_WINDOW events
 * kept per group, and a budget of events kept by all the correlations that
 * share it (sigma_corr_set_budget; SIGMA_CORR_MAX_EVENTS by default in a
 * ruleset): past it, an event joins a group's window only in place of that
 * window's oldest (a window that holds none still takes it). Either way the
 * older ones are dropped first, counted (sigma_corr_dropped); in a sliding window the
 * aggregate is over the kept events; in a fixed window event_count,
 * value_sum and value_avg stay exact; value_count may under-count and
 * value_percentile is over the kept events). A kept event costs 32 bytes
 * (plus, for value_count, a 16-byte identity of its value when that is
 * new to the window; see SIGMA_CORR_VALUE_ID): its time, value and place in the replay (sigma_corr_event), none
 * of its content. A fired correlation hands out those places; reading back
 * the headers of the events a finding shows is the caller's job.
 *
 * Ownership: a sigma_corr owns its state (malloc); sigma_corr_free releases it.
 */
#ifndef LLMTRAIL_ANALYZERS_SIGMA_CORR_H
#define LLMTRAIL_ANALYZERS_SIGMA_CORR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzers/sigma/sigma_yaml.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "analyzers/sigma/sigma_corr_fired.h"
#include "ingest/event.h"

#define SIGMA_CORR_MAX_GROUPS 200000u
/* SIGMA_CORR_MAX_WINDOW and SIGMA_CORR_MAX_EVENTS are in sigma_corr_fired.h. */

enum sigma_corr_type {
	SIGMA_CORR_EVENT_COUNT = 0,
	SIGMA_CORR_VALUE_COUNT,
	SIGMA_CORR_VALUE_SUM,
	SIGMA_CORR_VALUE_AVG,
	SIGMA_CORR_TEMPORAL,
	SIGMA_CORR_TEMPORAL_ORDERED,
	SIGMA_CORR_VALUE_PERCENTILE
};

/* sigma_corr_expire's `now` at the end of the replay: every window closes. */
#define SIGMA_CORR_END INT64_MAX

/* sigma_corr_event and sigma_corr_fired are declared in sigma_corr_fired.h
 * (shared with the public API, sigma.h). */

typedef struct sigma_corr sigma_corr;

/* Parses a `correlation:` node. Strings stay in arena a (the ruleset's). */
lt_status sigma_corr_parse(arena *a, const sigma_ynode *node, sigma_corr **out, bool *unsupported,
                           lt_error *err) LT_WUR;
void sigma_corr_free(sigma_corr *c);

int sigma_corr_type(const sigma_corr *c);
bool sigma_corr_generate(const sigma_corr *c); /* `generate: true`: base rules report too */
size_t sigma_corr_nrefs(const sigma_corr *c);
const char *sigma_corr_ref(const sigma_corr *c, size_t i); /* id or name of a referenced rule */
size_t sigma_corr_ngroup(const sigma_corr *c);
/* The field to read for group-by i in events of the referenced rule named
 * rule_name (aliases applied); the group-by name itself otherwise. */
const char *sigma_corr_group_field(const sigma_corr *c, size_t i, const char *rule_name);
const char *sigma_corr_value_field(const sigma_corr *c); /* value_* types, else NULL */
/* True when the condition has only an upper bound: evaluated at window close. */
bool sigma_corr_at_close(const sigma_corr *c);

/* Feeds one match of referenced rule number ref (index in the rules list).
 * group: the group key text; value: the value field's text (value_* types,
 * NULL if absent: the event is then ignored for value_sum/avg/percentile).
 * Returns true and fills *fired when the correlation fires on this event (for
 * a fixed window: when this event finds its group's window past its end
 * because sigma_corr_expire was not called; *fired is then that window). */
bool sigma_corr_feed(sigma_corr *c, size_t ref, const char *group, const char *value,
                     size_t value_len, const event *ev, sigma_corr_fired *fired);
/* Closes the fixed windows (sigma_corr_at_close) whose end is before now
 * (SIGMA_CORR_END: all of them). Returns true and fills *fired for the first
 * closed window whose condition holds (its last event is the completing one);
 * call again until it returns false. Sliding correlations: always false. */
bool sigma_corr_expire(sigma_corr *c, int64_t now, sigma_corr_fired *fired);
/* Forgets all state (a new replay). */
void sigma_corr_reset(sigma_corr *c);

/* Makes c count its kept events in *used, shared with other correlations,
 * and keep no more than max in all (see Limits). Without it: no shared limit. */
void sigma_corr_set_budget(sigma_corr *c, size_t *used, size_t max);
/* Events dropped from full windows (per-group cap or budget) since the last
 * reset, where that made an aggregate over fewer events than matched. Not
 * counted: temporal correlations (their state is the last time of each
 * referenced rule; the window's events are kept only to be listed) and the
 * count, sum and average of fixed windows (kept exact beyond the cap). */
uint64_t sigma_corr_dropped(const sigma_corr *c);

/* Value identity, whatever the length (no value is cut to a prefix):
 * value_count counts distinct values by SIGMA_CORR_VALUE_ID bytes (128 bits)
 * of the SHA-256 of the whole value; a group key or first_seen value longer
 * than SIGMA_CORR_KEY_TEXT bytes is kept as its first SIGMA_CORR_KEY_PREFIX
 * bytes (cut on a UTF-8 boundary), its length and 128 bits of its SHA-256,
 * so a group costs at most ~200 bytes a value and two long values that share
 * a prefix stay two groups. */
#define SIGMA_CORR_VALUE_ID 16
#define SIGMA_CORR_KEY_TEXT 160
#define SIGMA_CORR_KEY_PREFIX 96
/* Writes the identity of val[0..n) to id; false when out of memory. */
bool sigma_corr_value_id(const char *val, size_t n, unsigned char id[SIGMA_CORR_VALUE_ID]);
/* Appends t[0..n) to b as a group-key value: itself when at most
 * SIGMA_CORR_KEY_TEXT bytes, else "PREFIX...(N bytes, sha256:32 hex digits)". */
lt_status sigma_corr_key_append(buf *b, const char *t, size_t n) LT_WUR;

/* "30m" -> microseconds; -1 if malformed. */
int64_t sigma_corr_timespan(const char *s);

#endif
