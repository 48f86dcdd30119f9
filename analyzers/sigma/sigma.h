/*
 * sigma.h — the Sigma rule engine: load rule files, compile them, match events
 * (DESIGN.md §6; Sigma specification 2.x, SigmaHQ/sigma-specification).
 *
 * Life of a ruleset:
 *   sigma_ruleset *rs = ruleset_new();
 *   ruleset_set_fieldmap(rs, "map.yml", &err);       optional, before compile
 *   ruleset_set_placeholders(rs, "ph.yml", &err);    optional (|expand)
 *   ruleset_load_path(rs, "rules/", &err);           files or folders (*.yml, *.yaml)
 *   ruleset_compile(rs, &err);
 *   ruleset_match(rs, &ev, on_hit, ctx);             per event, in replay order
 *   ruleset_finish(rs, on_hit, ctx);                 end of the replay ("fewer than" windows)
 *   ruleset_free(rs);
 *
 * ruleset_match is two stages, which a caller may also run apart:
 *   sigma_detector *d = sigma_detector_new(rs);      per thread, after compile
 *   sigma_detect(d, &ev, &det);                      any thread, any order
 *   mem = malloc(sigma_detection_size(det));         keep it beside the event
 *   stored = sigma_detection_copy(det, mem);
 *   ruleset_match_detected(rs, &ev, stored, on_hit, ctx);  one thread, replay order
 *   sigma_detector_free(d);                          before ruleset_free
 * Detection is everything that depends on this event alone: the literal
 * prefilter, selections, conditions, filters, regexes, spans and the errors a
 * rule hits. The ordered stage applies what depends on earlier events:
 * first_seen state, correlation windows, "fewer than" windows closing, and
 * the statistics; it calls fn with exactly the hits ruleset_match gives.
 *
 * Every rule document found becomes a sigma_rule whose state is LOADED,
 * UNSUPPORTED (valid Sigma we cannot run; reason says what) or ERROR (file,
 * line and reason). Nothing is dropped silently: a file that is not valid YAML
 * is one ERROR rule naming the file and line. Correlation rules are evaluated
 * over the sequence of events given to ruleset_match. Filter documents
 * (Sigma filters) are applied to the rules they name: rule AND NOT filter.
 *
 * Log sources: `product: aws` + `service: cloudtrail` applies to CloudTrail
 * events, `service: bedrock_invocation` to invocation-log events; rules for
 * other log sources are loaded and compiled but not applicable (never
 * evaluated) unless ruleset_set_generic(rs, true), which applies every rule to
 * every event (generic JSON input with a field map).
 *
 * Fields: dotted JSON paths into ev->doc, any array element matching at any
 * level (a key that itself contains dots also matches); the names prompt,
 * system, response and tool_calls address the derived text of invocation
 * events. A field map (YAML) renames Sigma fields to paths; see docs/rules.md.
 *
 * Ownership: the ruleset owns its rules; sigma_rule pointers and their strings
 * live until ruleset_free (free(NULL) is a no-op). ruleset_match borrows the
 * event; what a hit points to is valid only during the callback. A detection
 * result from sigma_detect belongs to the detector and lives until its next
 * sigma_detect; a copy (sigma_detection_copy) lives in the caller's memory and
 * points into nothing of the detector, only into the event (ev->raw, strings
 * of ev->doc, derived text) and the ruleset: keep both alive while using it.
 *
 * Threads: once compiled, a ruleset is read only to detection. Any number of
 * threads may call sigma_detect at the same time on one ruleset, each with its
 * own detector. Everything else that takes a non-const ruleset (ruleset_match,
 * ruleset_match_detected, ruleset_finish, ruleset_reset_state) writes its
 * state: one thread at a time, which may run while other threads detect.
 *
 * Failure returns: LT_EFILE for an unreadable path, LT_EFATAL out of memory;
 * per-rule problems never fail a call, they are rule states.
 */
#ifndef LLMTRAIL_ANALYZERS_SIGMA_H
#define LLMTRAIL_ANALYZERS_SIGMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/error.h"
#include "analyzers/sigma/sigma_corr_fired.h"
#include "ingest/event.h"

typedef struct sigma_ruleset sigma_ruleset;
typedef struct sigma_rule sigma_rule;

typedef enum sigma_state {
	SIGMA_LOADED = 0,
	SIGMA_UNSUPPORTED = 1,
	SIGMA_ERROR = 2
} sigma_state;

typedef enum sigma_kind {
	SIGMA_KIND_DETECTION = 0,
	SIGMA_KIND_FILTER = 1,
	SIGMA_KIND_CORRELATION = 2, /* evaluated over the replay (event_count, value_count,
	                               value_sum, value_avg, value_percentile, temporal,
	                               temporal_ordered) */
	SIGMA_KIND_INVALID = 3 /* not readable as a rule (see the reason) */
} sigma_kind;

/* ---- ruleset */
sigma_ruleset *ruleset_new(void) LT_WUR;
void ruleset_free(sigma_ruleset *rs);

lt_status ruleset_set_fieldmap(sigma_ruleset *rs, const char *path, lt_error *err) LT_WUR;
lt_status ruleset_set_placeholders(sigma_ruleset *rs, const char *path, lt_error *err) LT_WUR;
/* Before ruleset_compile (ignored after). */
void ruleset_set_generic(sigma_ruleset *rs, bool generic);
/* Before ruleset_compile (ignored after; 0 ignored): the most events all the
 * correlation windows keep together (default SIGMA_CORR_MAX_EVENTS, 32 bytes
 * each), and the most cells and values their aggregates keep (default
 * SIGMA_CORR_MAX_STATE; set to max_events too). Past the first a window
 * takes a new event only in place of its oldest (sigma_rule_corr_unlisted);
 * past the second aggregates coarsen (sigma_rule_corr_undecided). */
void ruleset_set_corr_budget(sigma_ruleset *rs, size_t max_events);

/* A rule file, or a folder searched recursively for *.yml / *.yaml (sorted). */
lt_status ruleset_load_path(sigma_ruleset *rs, const char *path, lt_error *err) LT_WUR;
/* Rule text from memory; name is used as the file name in messages. */
lt_status ruleset_load_text(sigma_ruleset *rs, const char *name, const char *text, size_t len,
                            lt_error *err) LT_WUR;
/* Compiles every loaded rule and builds the prefilter. Call once, after loading. */
lt_status ruleset_compile(sigma_ruleset *rs, lt_error *err) LT_WUR;

size_t ruleset_count(const sigma_ruleset *rs);
const sigma_rule *ruleset_rule(const sigma_ruleset *rs, size_t i);
/* By id, else by name; NULL if none. */
const sigma_rule *ruleset_find(const sigma_ruleset *rs, const char *id_or_name);

typedef struct ruleset_stats {
	size_t rules, loaded, unsupported, errors;
	size_t detection, filters, correlations;
	size_t prefiltered; /* loaded detection rules reached only through the literal prefilter */
	size_t always;      /* loaded detection rules evaluated on every applicable event */
	size_t not_applicable; /* loaded detection rules for log sources llmtrail has no events of */
	size_t patterns;    /* literals in the prefilter */
	size_t regexes;
	uint64_t events;      /* events matched so far (ruleset_match, ruleset_match_detected) */
	uint64_t evaluations; /* rule evaluations they needed (prefilter candidates + always rules) */
} ruleset_stats;
void ruleset_get_stats(const sigma_ruleset *rs, ruleset_stats *st);

/* ---- matching */
typedef struct sigma_span {
	const char *field; /* field as named in the rule (or the path, for keywords) */
	const char *value; /* the matched value's text (not NUL-terminated) */
	size_t value_len;
	size_t start, end; /* byte offsets of the match within value */
} sigma_span;

#define SIGMA_MAX_SPANS 16

typedef struct sigma_hit {
	const sigma_rule *rule;
	const sigma_span *spans; /* the positive field matches that made the rule true */
	size_t nspans;
	const char *error; /* non-NULL: the rule failed on this event (e.g. a regex limit) */
	const sigma_corr_fired *corr; /* non-NULL: rule is a correlation rule that fired */
} sigma_hit;

/* Return nonzero to stop matching this event. */
typedef int (*ruleset_match_fn)(void *ctx, const sigma_hit *hit);

/* Calls fn once per matching rule (in load order), and once per rule that
 * failed on this event (hit->error set). Correlation rules keep state across
 * calls: feed events in time order (the replay order); a correlation fires on
 * the event that completes it (hit->corr set). Detection rules referenced by a
 * correlation report only through it, unless the correlation says
 * `generate: true`. A correlation whose condition has only an upper bound
 * (lt/lte: "fewer than") uses fixed windows [first event of the group, first +
 * timespan] and fires when one closes: reported at the start of the first
 * ruleset_match call whose event time is past the window end (before that
 * event's own hits), or by ruleset_finish. Same as sigma_detect with the
 * ruleset's own detector, then ruleset_match_detected. Returns LT_OK, or
 * LT_EFATAL (not compiled, out of memory). */
lt_status ruleset_match(sigma_ruleset *rs, const event *ev, ruleset_match_fn fn, void *ctx) LT_WUR;

/* ---- the two stages of ruleset_match */
typedef struct sigma_detector sigma_detector;   /* per-thread scratch of detection */
typedef struct sigma_detection sigma_detection; /* what detection found in one event */

/* A detector for compiled ruleset rs (borrowed: free the detector first).
 * NULL when rs is not compiled or out of memory. */
sigma_detector *sigma_detector_new(const sigma_ruleset *rs) LT_WUR;
void sigma_detector_free(sigma_detector *d);

/* Runs the stateless part of matching on ev: *out is the result, owned by d
 * and valid until d's next sigma_detect (NULL on failure). Thread-safe across
 * detectors of one ruleset; writes nothing in the ruleset. Returns LT_OK, or
 * LT_EFATAL out of memory. */
lt_status sigma_detect(sigma_detector *d, const event *ev, const sigma_detection **out) LT_WUR;

/* Bytes sigma_detection_copy needs (a few dozen when nothing matched). */
size_t sigma_detection_size(const sigma_detection *det);
/* Copies det into mem (sigma_detection_size bytes, aligned for a pointer, as
 * malloc and arena_alloc give) and returns the copy, which stays valid as long
 * as mem, the event and the ruleset do. */
const sigma_detection *sigma_detection_copy(const sigma_detection *det, void *mem);
/* True when no rule matched or failed: the ordered stage only counts the event
 * and closes windows (the result must still be passed, for time and counts). */
bool sigma_detection_empty(const sigma_detection *det);

/* ---- stored detections: detect once (analyze's index workers), match later
 *
 * A detection encoded into bytes that point into nothing (every string is
 * copied), so that it can be kept in the case beside the event's header and
 * handed to ruleset_match_detected by a later scan without the record. It is
 * valid only for a ruleset whose ruleset_digest is the one it was made with:
 * the digest covers every rule and config text loaded, the options that
 * change detection, the prompt model and the engine's version
 * (SIGMA_DETECT_FORMAT, raised whenever detection changes its results). */
#define SIGMA_DETECT_FORMAT "1"

/* SHA-256 (hex) of what detection depends on; "" before ruleset_compile. */
const char *ruleset_digest(const sigma_ruleset *rs);
/* Appends det's bytes to out. LT_EFATAL out of memory. */
lt_status sigma_detection_encode(const sigma_detection *det, buf *out) LT_WUR;
/* Reads bytes of sigma_detection_encode, made with a ruleset of the same digest
 * as rs, into a detection allocated from a (valid as long as a and rs are);
 * n == 0 reads as "nothing matched" (an empty detection).
 * The bytes are not trusted: LT_EFILE when they are damaged or of another
 * format (err says so), LT_EFATAL out of memory. */
lt_status sigma_detection_decode(const sigma_ruleset *rs, const void *data, size_t n, arena *a,
                                 const sigma_detection **out, lt_error *err) LT_WUR;

/* The ordered stage of ruleset_match for ev, whose detection is det (from a
 * detector of this ruleset): closes due "fewer than" windows, applies
 * first_seen, feeds correlations and calls fn exactly as ruleset_match(rs, ev,
 * fn, ctx) does. Call in replay order, on one thread. Returns LT_OK, or
 * LT_EFATAL when det is of another ruleset or rs is not compiled. */
lt_status ruleset_match_detected(sigma_ruleset *rs, const event *ev, const sigma_detection *det,
                                 ruleset_match_fn fn, void *ctx) LT_WUR;

/* --baseline OLDCASE: ev of an earlier, known-good case, detected as det (a
 * detection of this ruleset, or NULL: detected here from ev's record), is
 * history for the first_seen rules: each first_seen rule whose condition
 * holds learns ev's group (and its first time) and value, as if matched,
 * and nothing is reported and no correlation is fed. So a value the old case
 * saw is never "first seen" in the case replayed next, and a group's
 * baseline period counts from its first event in the old case. Call in the
 * old case's replay order, before the case judged. LT_EFATAL when det is of
 * another ruleset, rs is not compiled, or out of memory. */
lt_status ruleset_learn_first_seen(sigma_ruleset *rs, const event *ev, const sigma_detection *det) LT_WUR;

/* End of the replay: closes every open fixed window ("fewer than"
 * correlations) and calls fn once per one that fires (hit->corr set, no spans;
 * the completing event is the window's last, hit->corr->events[nevents - 1]).
 * Call once after the last ruleset_match of a replay (sliding-window
 * correlations keep their state: ruleset_reset_state before another replay).
 * A nonzero return of fn stops the reporting (the rest stays pending). Returns LT_OK, or LT_EFATAL when the
 * ruleset is not compiled. */
lt_status ruleset_finish(sigma_ruleset *rs, ruleset_match_fn fn, void *ctx) LT_WUR;

/* Forgets all correlation state (before replaying another case). */
void ruleset_reset_state(sigma_ruleset *rs);

/* ---- rule metadata (strings are "" when absent, never NULL) */
const char *sigma_rule_id(const sigma_rule *r);
const char *sigma_rule_name(const sigma_rule *r);
const char *sigma_rule_title(const sigma_rule *r);
const char *sigma_rule_level(const sigma_rule *r);
const char *sigma_rule_status(const sigma_rule *r);
const char *sigma_rule_description(const sigma_rule *r);
const char *sigma_rule_file(const sigma_rule *r);
unsigned sigma_rule_line(const sigma_rule *r); /* line where the document starts */
size_t sigma_rule_ntags(const sigma_rule *r);
const char *sigma_rule_tag(const sigma_rule *r, size_t i);
size_t sigma_rule_nreferences(const sigma_rule *r);
const char *sigma_rule_reference(const sigma_rule *r, size_t i);
size_t sigma_rule_nfalsepositives(const sigma_rule *r);
const char *sigma_rule_falsepositive(const sigma_rule *r, size_t i);
sigma_kind sigma_rule_kind(const sigma_rule *r);
sigma_state sigma_rule_state(const sigma_rule *r);
/* Why UNSUPPORTED or ERROR ("" when LOADED); for errors err_line is the line. */
const char *sigma_rule_reason(const sigma_rule *r);
unsigned sigma_rule_err_line(const sigma_rule *r);
/* The event source the rule applies to (EV_SRC_UNKNOWN: none of ours). A
 * correlation rule takes the source of its first referenced rule (after
 * ruleset_compile). */
ev_source sigma_rule_source(const sigma_rule *r);
/* "aws/cloudtrail", "windows/process_creation", ... (product/service-or-category) */
const char *sigma_rule_logsource_text(const sigma_rule *r);

/* llmtrail.redact: matched text must be redacted in reports unless asked otherwise. */
bool sigma_rule_redact(const sigma_rule *r);
/* A correlation rule, since the last reset (0 for other rules):
 * _dropped: events its windows dropped when full (their group's
 * SIGMA_CORR_MAX_WINDOW, or the ruleset's budget) that changed a
 * value_percentile (the only aggregate over the events kept);
 * _unlisted: events so dropped, any type (its findings list the newest);
 * _undecided: evaluations left undecided by a coarsened aggregate (not fired). */
uint64_t sigma_rule_corr_dropped(const sigma_rule *r);
uint64_t sigma_rule_corr_unlisted(const sigma_rule *r);
uint64_t sigma_rule_corr_undecided(const sigma_rule *r);
/* True if the rule has an llmtrail extension section `llmtrail: {name: ...}`. */
bool sigma_rule_extension(const sigma_rule *r, const char *name);

const char *sigma_state_name(sigma_state s); /* "loaded", "unsupported", "error" */

#endif
