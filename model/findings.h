/*
 * findings.h — the findings of a report and the aggregator that makes them.
 *
 * report.c owns one `findings` and forwards report_add_hit here; writers read
 * the result through report.h (report_finding). Kept apart so that the
 * aggregation rule is one small, separately tested module:
 *
 *   A hit is (rule, group key, event, matches). It merges into the rule's
 *   latest finding for the same group when the event's time is within
 *   `window_us` of that finding's last event; otherwise it opens a new
 *   finding (which becomes the latest for that rule and group). With a window
 *   of 0 every hit opens its own finding, except that the same event (source
 *   and uid) hitting the same rule and group again only adds its matches.
 *
 * Ownership: findings_new's caller frees with findings_free (NULL is a no-op);
 * every string is copied into the set's arena. Bounds: see report.h (events
 * per finding, matches per event, excerpt sizes, findings, hit index).
 */
#ifndef LLMTRAIL_REPORTS_FINDINGS_H
#define LLMTRAIL_REPORTS_FINDINGS_H

#include "common/error.h"
#include "model/rpt.h"

typedef struct findings findings;

/* o: window, max_events, max_findings, redact. NULL out of memory. */
findings *findings_new(const rpt_options *o) LT_WUR;
void findings_free(findings *fs);

/* True when findings_add_hit with these arguments would keep ev in full
 * (a new finding, or one with room for another event), false when it would
 * only count it (or the finding is past max_findings). Changes nothing. */
bool findings_would_keep(findings *fs, size_t rule, const rpt_pair *group, size_t ngroup,
                         const rpt_event_in *ev);

/* *opened is set to true when the hit opened a new finding (may be NULL).
 * LT_EITEM for bad arguments, LT_EFATAL out of memory. A hit past
 * max_findings is counted (findings_dropped) and returns LT_OK. */
lt_status findings_add_hit(findings *fs, size_t rule, const rpt_pair *group, size_t ngroup,
                           const rpt_event_in *ev, const rpt_match_in *matches, size_t nmatches,
                           bool *opened, lt_error *err) LT_WUR;

/* Event uids to learn after the replay: an event hit without its uid but
 * with its replay seq (a correlation's counted-only events) holds its place
 * in event_uids. findings_uids_pending says how many (and sorts them: call
 * it first); findings_resolve_uid gives the uid of the event with that seq,
 * in ascending seq (a replay's order); findings_uids_resolved ends it,
 * counting the places never given a uid in event_uids_omitted. Until then a
 * pending place is an empty string. LT_EFATAL out of memory. */
size_t findings_uids_pending(findings *fs);
lt_status findings_resolve_uid(findings *fs, uint64_t seq, rpt_str uid) LT_WUR;
void findings_uids_resolved(findings *fs);

size_t findings_count(const findings *fs);
const rpt_finding *findings_get(const findings *fs, size_t i);
uint64_t findings_dropped(const findings *fs);
/* Event strings kept abbreviated past RPT_LONG_BUDGET (model/rpt.h). */
uint64_t findings_abbreviated(const findings *fs);

/* See report_event_rules. */
size_t findings_event_rules(findings *fs, const rpt_event_in *ev, size_t *rules, size_t max);

/* Sets finding i's confidence (clamped to 0..1) and level reason (copied).
 * LT_EITEM for a bad index, LT_EFATAL out of memory. */
lt_status findings_assess(findings *fs, size_t i, double confidence, const char *reason,
                          lt_error *err) LT_WUR;

/* LT_EFATAL when the hit log could not be read back (err says why). */
lt_status findings_hits_status(const findings *fs, lt_error *err) LT_WUR;

/*
 * Redacts a secret for display: its first few characters, an ellipsis and its
 * length, e.g. "AKIA…(20 chars)". Keeps min(4, chars / 4) whole UTF-8
 * characters (so short secrets show less). Writes at most outsz - 1 bytes and
 * a NUL; returns the length written. outsz >= 40 always fits.
 */
size_t findings_redact(const char *p, size_t n, char *out, size_t outsz);

#endif
