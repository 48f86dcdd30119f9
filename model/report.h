/*
 * report.h — the report model every writer reads (DESIGN.md §6 "Findings", §7).
 *
 * pipeline/ (scanrun) fills one report from the case index, the rule engine and the
 * analyzers, then hands it to the writers (html.h, junit.h, jsonl.h, csv.h,
 * markdown.h). The model depends on no other stage: it takes plain structs of
 * borrowed strings and copies what it keeps.
 * Its value types (slices, levels, limits, options, the parts of a hit and
 * of a finding) are in model/rpt.h, shared with the findings aggregator.
 *
 * Ownership, in one sentence: every builder function copies the strings it is
 * given into the report's arena, so the caller may free or reuse its inputs as
 * soon as the call returns; strings read back live until report_free, and the
 * structs accessors return stay valid until the next builder call (build
 * first, then write). A report is not thread-safe; the sorting helpers use a
 * static, so sort one report at a time.
 *
 * Strings taken from evidence are rpt_str slices (pointer + length, may hold
 * NUL bytes and invalid UTF-8); stored copies are slices too, always followed
 * by a NUL byte. Writers escape every string for its sink; the model never does.
 *
 * Bounds (all counted, never silently lost): events kept per finding
 * (rpt_options.max_events, the rest are counted in the finding), matches kept
 * per event (RPT_MAX_MATCHES), excerpt context (RPT_EXCERPT_CONTEXT bytes each
 * side, the match itself cut at RPT_MATCH_MAX bytes), findings (max_findings;
 * hits past it are counted in report_findings_dropped), distinct principals
 * and IPs counted for the "top" lists (RPT_TOP_CAP; the rest go to "(other)").
 *
 * Failures: builder functions return LT_OK, LT_EITEM for a bad argument (bad
 * index, NULL required field) with err set, or LT_EFATAL out of memory.
 */
#ifndef LLMTRAIL_REPORTS_REPORT_H
#define LLMTRAIL_REPORTS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "model/rpt.h"

typedef struct report report;

/* ---- enums -------------------------------------------------------------- */

typedef enum rpt_outcome {
	RPT_PASSED = 0,         /* ran, no finding */
	RPT_FIRED = 1,          /* ran, at least one finding */
	RPT_NOT_APPLICABLE = 2, /* its log source is absent from the case */
	RPT_UNSUPPORTED = 3,    /* uses a feature llmtrail does not implement (reason) */
	RPT_FAILED = 4,         /* could not load or errored while running (reason) */
	RPT_FILTERED = 5        /* ran; every hit was outside the scope asked for (report_set_scope) */
} rpt_outcome;
#define RPT_NOUTCOMES 6

typedef enum rpt_severity {
	RPT_SEV_INFO = 0,
	RPT_SEV_WARNING = 1,
	RPT_SEV_ERROR = 2
} rpt_severity;

typedef enum rpt_check {
	RPT_CHECK_VALID = 0,
	RPT_CHECK_INVALID = 1,
	RPT_CHECK_UNVERIFIABLE = 2
} rpt_check;

/*
 * Dashboard chart kinds. BAR: one bar per series side by side at each x
 * (grouped). LINE: one polyline per series. STACKED: one bar per x, the
 * series stacked bottom-up in the order added (negative and non-finite
 * values count as 0 in the drawing; the numbers table shows them as given).
 * SCATTER: one point per x label, which names the point (e.g. a principal);
 * the chart has exactly 2 series, the first gives the points' x values and
 * the second their y values, and the series names label the axes; the
 * writers order nothing, so give the points most worth a visible label
 * first. report_chart_add_series refuses a third series of a scatter
 * (LT_EITEM); a scatter left with fewer than 2 series is drawn as a note.
 */
typedef enum rpt_chart_kind {
	RPT_CHART_BAR = 0,
	RPT_CHART_LINE = 1,
	RPT_CHART_STACKED = 2,
	RPT_CHART_SCATTER = 3
} rpt_chart_kind;
#define RPT_SCATTER_SERIES 2 /* a scatter's series: x values, then y values */

const char *rpt_level_name(rpt_level l);     /* "informational" .. "critical", "none" */
lt_status rpt_level_parse(const char *s, rpt_level *out) LT_WUR; /* LT_EITEM if unknown */
const char *rpt_outcome_name(rpt_outcome o); /* "passed", "fired", "not applicable", ... */
const char *rpt_severity_name(rpt_severity s);
const char *rpt_check_name(rpt_check c);     /* "valid", "invalid", "unverifiable" */

/* ---- building ----------------------------------------------------------- */

/* fail_on HIGH, redact on, window 1 h, default caps. */
void rpt_options_default(rpt_options *o);

/* NULL out of memory. opts may be NULL (defaults). */
report *report_new(const rpt_options *opts) LT_WUR;
void report_free(report *r);

/* The run's time: SOURCE_DATE_EPOCH (seconds) when set and valid, else now. */
int64_t report_now_us(void);

/* Run information. Any string may be NULL (empty). */
lt_status report_set_run(report *r, const char *tool_version, const char *command_line,
                         int64_t run_time_us, const char *case_path, lt_error *err) LT_WUR;

/* --sign: the SHA-256 (64 hex) of the evidence lines of the signed manifest
 * (reports/manifest.h, manifest_evidence_digest), shown in report.html so that
 * a printed report names the custody it was signed over. "" when unsigned. */
void report_set_evidence_manifest(report *r, const char *sha256_hex);
const char *report_evidence_manifest(const report *r);

/* Rule packs (name, where it came from, SHA-256 of its files); JUnit properties. */
lt_status report_add_pack(report *r, const char *name, const char *path, const char *sha256,
                          lt_error *err) LT_WUR;

/* A rule tag saying its findings' events are the effect of someone else's act
 * (calls left unlogged after logging was deleted, records whose CloudTrail
 * call is gone): the stages the rule shows are not acts of its events'
 * principals (analyzers/audit/incident.c does not count them in an actor's
 * progression). Sigma rules may carry it too. */
#define RPT_TAG_EFFECT "llmtrail.effect"

typedef struct rpt_rule_in {
	const char *pack;   /* required */
	const char *id;     /* required */
	const char *title;
	const char *status; /* Sigma status: stable, test, experimental ... */
	const char *file;   /* rule file */
	uint64_t line;      /* where in file (load errors); 0 if none */
	const char *description;
	const char *const *tags;
	size_t ntags;
	rpt_level level;
	rpt_outcome outcome; /* PASSED unless known otherwise; a hit makes it FIRED */
	const char *reason;  /* for NOT_APPLICABLE / UNSUPPORTED / FAILED */
	const char *const *falsepositives; /* Sigma falsepositives: what else makes it fire */
	size_t nfalsepositives;
	const char *const *references;     /* Sigma references (URLs, documents) */
	size_t nreferences;
} rpt_rule_in;

/* *index receives the rule's index for report_add_hit (may be NULL). */
lt_status report_add_rule(report *r, const rpt_rule_in *in, size_t *index, lt_error *err) LT_WUR;
lt_status report_set_rule_outcome(report *r, size_t rule, rpt_outcome o, const char *reason,
                                  lt_error *err) LT_WUR;

typedef struct rpt_evidence_in {
	const char *path;                /* evidence file as given; required */
	const char *member;              /* member chain inside it ('/'-joined), NULL/"" for the file */
	uint64_t size;                   /* bytes as stored */
	const char *sha256;              /* hex, of the bytes as stored */
	const char *sha256_decompressed; /* hex, when it was compressed; else NULL */
	const char *format;              /* "cloudtrail", "invocation-log", "digest", ... */
	uint64_t events;
	uint64_t duplicates;
	uint64_t problems;
} rpt_evidence_in;

lt_status report_add_evidence(report *r, const rpt_evidence_in *in, lt_error *err) LT_WUR;

lt_status report_add_problem(report *r, const char *file, const char *member, uint64_t line,
                             rpt_severity sev, const char *reason, lt_error *err) LT_WUR;

/* Clears ev: empty strings, numbers -1. */
void rpt_event_init(rpt_event_in *ev);

/* Counts one replayed event into the case summary: time range, counts by
 * source, the hourly timeline and the principal / IP tallies. */
lt_status report_note_event(report *r, const rpt_event_in *ev, lt_error *err) LT_WUR;



/*
 * One rule hit (findings.c). Merges into the rule's open finding for the same
 * group when ev->time_us is within the aggregation window of that finding's
 * last event, else opens a new finding. The same event hitting the same
 * finding again only adds its matches. group may be NULL when ngroup is 0.
 */
/* True when report_add_hit with these arguments (ev: its time and seq, or
 * source and uid, suffice) would keep the event in full rather than only
 * count it: what a caller asks before reading back an event's header. */
bool report_hit_keeps_event(report *r, size_t rule, const rpt_pair *group, size_t ngroup,
                            const rpt_event_in *ev);
lt_status report_add_hit(report *r, size_t rule, const rpt_pair *group, size_t ngroup,
                         const rpt_event_in *ev, const rpt_match_in *matches, size_t nmatches,
                         lt_error *err) LT_WUR;

/* The investigator's filter (model/scope.h), copied; its strings are
 * borrowed. Every later report_add_hit outside it is counted in the rule's
 * `filtered` and dropped. Without a call, every hit is kept. */
struct scope;
void report_set_scope(report *r, const struct scope *s);
/* True when a scope with field filters is set: a hit's event must then carry
 * its header (principal, key, ...) for report_add_hit to judge it. */
bool report_scope_needs_header(const report *r);
/* Hits dropped by the scope, over all rules. */
uint64_t report_hits_filtered(const report *r);

/* Usage dashboard: tables and charts, in the order added. */
lt_status report_add_table(report *r, const char *title, size_t ncols, const char *const *cols,
                           size_t *table, lt_error *err) LT_WUR;
/* cells: ncols slices. */
lt_status report_table_add_row(report *r, size_t table, const rpt_str *cells,
                               lt_error *err) LT_WUR;
/* kind must be one of rpt_chart_kind (LT_EITEM otherwise). */
lt_status report_add_chart(report *r, const char *title, rpt_chart_kind kind, const char *unit,
                           size_t nx, const char *const *xlabels, size_t *chart,
                           lt_error *err) LT_WUR;
/* values: nx numbers. A scatter takes exactly RPT_SCATTER_SERIES series
 * (x values, then y values); a third is LT_EITEM. */
lt_status report_chart_add_series(report *r, size_t chart, const char *name,
                                  const double *values, lt_error *err) LT_WUR;

lt_status report_add_integrity(report *r, const char *object, const char *check, rpt_check status,
                               const char *detail, lt_error *err) LT_WUR;

/* One account/region's period (strings copied). LT_EFATAL out of memory. */
struct rpt_period;
lt_status report_add_period(report *r, const struct rpt_period *in, lt_error *err) LT_WUR;

/* A finding's assessment (analyzers/audit/incident.h): confidence 0..1 and the
 * reason for its level. LT_EITEM for a bad index. */
lt_status report_assess_finding(report *r, size_t finding, double confidence, const char *reason,
                                lt_error *err) LT_WUR;

/* ---- incidents -----------------------------------------------------------
 *
 * Findings grouped into what happened (analyzers/audit/incident.h builds them; the
 * writers lead with them). Added in rank order, highest risk first. */

#define RPT_ID_BUFSZ 24 /* a finding or incident id and its NUL */

typedef struct rpt_strs {
	const rpt_str *v;
	size_t n;
} rpt_strs;

typedef struct rpt_incident {
	rpt_str id;           /* "INC-" + 12 hex, from its findings' ids */
	rpt_str title;
	double risk;          /* >= 0; higher ranks first */
	rpt_level level;
	double confidence;    /* 0..1 */
	rpt_str level_reason; /* why this level */
	int64_t first_us, last_us; /* of the events of its findings */
	rpt_strs principals, access_keys, source_ips, user_agents, accounts, regions;
	rpt_strs stages;      /* tactic names in the order first reached */
	rpt_strs models, resources;
	int64_t input_tokens, output_tokens; /* of its listed events; -1 when none carried tokens */
	double cost_usd;      /* estimated from the price table; -1 when no listed event was priced */
	rpt_str cost_note;    /* which price table, what was and was not priced */
	const size_t *findings; /* report_finding indexes, worst first */
	size_t nfindings;
	rpt_strs event_uids;  /* uids of its findings' listed events, distinct, in time order */
	uint64_t events;      /* events counted by its findings (listed or not) */
	rpt_strs next_steps;
} rpt_incident;

/* Copies in (every string and array) into the report. */
lt_status report_add_incident(report *r, const rpt_incident *in, lt_error *err) LT_WUR;
size_t report_nincidents(const report *r);
const rpt_incident *report_incident(const report *r, size_t i); /* rank order */

/* ---- compliance controls -----------------------------------------------
 *
 * The organisation's policy checked over the case (analyzers/controls.h
 * evaluates; the writers show them near the top, JUnit as its own suite).
 * Added in policy order. */

typedef enum rpt_control_status {
	RPT_CONTROL_PASS = 0,
	RPT_CONTROL_FAIL = 1,
	RPT_CONTROL_NOT_APPLICABLE = 2, /* nothing the control is about happened (no invocation) */
	RPT_CONTROL_NOT_EVALUABLE = 3   /* the evidence needed is absent or incomplete (detail says why) */
} rpt_control_status;

/* "pass", "fail", "not applicable", "not evaluable" */
const char *rpt_control_status_name(rpt_control_status s);

#define RPT_CONTROL_EXAMPLES 10 /* first violations a control keeps (the rest are counted) */

typedef struct rpt_control {
	rpt_str id, title, rationale;
	rpt_str kind;       /* control type ("approved-models", ...) */
	rpt_control_status status;
	rpt_str detail;     /* pass: what was checked; fail: the summary; else why not */
	const rpt_pair *mappings; /* name = framework ("ISO/IEC 42001"), value = clause */
	size_t nmappings;
	uint64_t checked;   /* items checked (invocations, principal-days, hours, ...) */
	uint64_t violations;
	rpt_str worst_day;  /* "YYYY-MM-DD" with the most violations, or "" */
	uint64_t worst_day_violations;
	rpt_strs examples;  /* first violations, one line each (at most RPT_CONTROL_EXAMPLES) */
} rpt_control;

/* Copies in (every string and array) into the report; examples past
 * RPT_CONTROL_EXAMPLES are not kept (count them in violations). */
lt_status report_add_control(report *r, const rpt_control *in, lt_error *err) LT_WUR;
size_t report_ncontrols(const report *r);
const rpt_control *report_control(const report *r, size_t i); /* policy order */
/* Controls whose status is RPT_CONTROL_FAIL. */
size_t report_ncontrols_failed(const report *r);

/* A finding's id, "F-" + 12 hex of a hash of its rule, group, first time and
 * first event: the same finding of the same case has the same id. */
void report_finding_id(const report *r, size_t finding, char out[RPT_ID_BUFSZ]);

/* ---- reading (writers) -------------------------------------------------- */

typedef struct rpt_run {
	rpt_str tool_version, command_line, case_path;
	int64_t run_time_us;
} rpt_run;

typedef struct rpt_pack {
	rpt_str name, path, sha256;
} rpt_pack;

typedef struct rpt_rule {
	rpt_str pack, id, title, status, file, description, reason;
	uint64_t line;
	const rpt_str *tags;
	size_t ntags;
	const rpt_str *falsepositives, *references;
	size_t nfalsepositives, nreferences;
	rpt_level level;
	rpt_outcome outcome;
	uint64_t findings; /* findings opened */
	uint64_t hits;     /* hits (events) */
	uint64_t filtered; /* hits outside the scope (report_set_scope), not kept */
} rpt_rule;

typedef struct rpt_evidence {
	rpt_str path, member, sha256, sha256_decompressed, format;
	uint64_t size, events, duplicates, problems;
} rpt_evidence;

typedef struct rpt_problem {
	rpt_str file, member, reason;
	uint64_t line;
	rpt_severity severity;
} rpt_problem;

typedef struct rpt_integrity {
	rpt_str object, check, detail;
	rpt_check status;
} rpt_integrity;

/* The period one account and region covers (analyzers/audit/period.h):
 * its first and last event, events per source, and its gaps. */
typedef struct rpt_period {
	rpt_str account, region;   /* "" when the events do not say */
	int64_t first_us, last_us;
	uint64_t cloudtrail, invocation, other; /* events by source */
	uint64_t silent_hours;     /* UTC hours with CloudTrail runtime calls and no invocation-log record */
	uint64_t dark_days;        /* UTC days between first and last with no CloudTrail event */
	rpt_strs silent_list;      /* the first of them, "2026-03-10T02" (the rest counted) */
	rpt_strs dark_list;        /* "2026-03-11" */
} rpt_period;

typedef struct rpt_table {
	rpt_str title;
	size_t ncols;
	const rpt_str *cols;
	size_t nrows;
	const rpt_str *cells; /* nrows * ncols, row-major */
} rpt_table;

typedef struct rpt_series {
	rpt_str name;
	const double *values; /* nx */
} rpt_series;

typedef struct rpt_chart {
	rpt_str title, unit;
	rpt_chart_kind kind;
	size_t nx;
	const rpt_str *xlabels;
	size_t nseries;
	const rpt_series *series;
} rpt_chart;

typedef struct rpt_bucket {
	int64_t hour_us;                  /* start of the hour */
	uint64_t counts[RPT_MAX_SOURCES]; /* by report_source index */
} rpt_bucket;

typedef struct rpt_count {
	rpt_str name;
	uint64_t count;
} rpt_count;

const rpt_options *report_options(const report *r);
const rpt_run *report_run(const report *r);

size_t report_npacks(const report *r);
const rpt_pack *report_pack(const report *r, size_t i);
size_t report_nrules(const report *r);
const rpt_rule *report_rule(const report *r, size_t i);
size_t report_nevidence(const report *r);
const rpt_evidence *report_evidence(const report *r, size_t i);
uint64_t report_evidence_files(const report *r); /* distinct evidence paths */
size_t report_nproblems(const report *r);
/* Problems of severity warning or error: something was not read or not
 * evaluated (info problems are notes on how a result was reached). */
size_t report_nproblems_serious(const report *r);
const rpt_problem *report_problem(const report *r, size_t i);
size_t report_nfindings(const report *r);
const rpt_finding *report_finding(const report *r, size_t i);
uint64_t report_findings_dropped(const report *r); /* hits past max_findings */
uint64_t report_findings_abbreviated(const report *r); /* event strings abbreviated, RPT_LONG_BUDGET */
size_t report_nintegrity(const report *r);
const rpt_integrity *report_integrity(const report *r, size_t i);
size_t report_nperiods(const report *r);
const rpt_period *report_period(const report *r, size_t i);
size_t report_ntables(const report *r);
const rpt_table *report_table(const report *r, size_t i);
size_t report_ncharts(const report *r);
const rpt_chart *report_chart(const report *r, size_t i);

/* Case summary. first/last are INT64_MIN when no event was seen. */
void report_time_range(const report *r, int64_t *first_us, int64_t *last_us);
uint64_t report_total_events(const report *r);
size_t report_nsources(const report *r);
const rpt_count *report_source(const report *r, size_t i); /* name + events */
size_t report_nbuckets(const report *r);                   /* hours with events, ascending */
const rpt_bucket *report_bucket(const report *r, size_t i);

/* Top n principals / source IPs by event count (count desc, then name asc);
 * returns how many were written to out. */
size_t report_top_principals(const report *r, rpt_count *out, size_t n);
size_t report_top_ips(const report *r, rpt_count *out, size_t n);

/* Findings per level, and the worst level that fired (RPT_LEVEL_NONE if none). */
void report_level_counts(const report *r, uint64_t counts[RPT_NLEVELS]);
rpt_level report_worst_level(const report *r);
/* True when a finding is at or above the fail_on level. */
bool report_fails(const report *r);

/* The run's verdict, the same in every output (HTML, Markdown, JUnit,
 * stdout) and behind the exit code. In order of precedence:
 *   NO_EVIDENCE  no event was read at all: nothing was judged;
 *   FAIL         a finding at or above fail_on, or a failed control with
 *                fail_on_control;
 *   NOT_GATED    fail_on is none: findings are listed, nothing is judged;
 *   INCOMPLETE   no finding at or above fail_on, but evidence problems
 *                (warnings/errors) or failed rules: the run did not see or
 *                evaluate everything, so it cannot say PASS;
 *   PASS         no finding at or above fail_on, everything read and run. */
typedef enum rpt_verdict {
	RPT_VERDICT_PASS = 0,
	RPT_VERDICT_FAIL = 1,
	RPT_VERDICT_NOT_GATED = 2,
	RPT_VERDICT_INCOMPLETE = 3,
	RPT_VERDICT_NO_EVIDENCE = 4
} rpt_verdict;
rpt_verdict report_verdict(const report *r);
/* "PASS", "FAIL", "NOT GATED", "INCOMPLETE", "NO EVIDENCE" */
const char *rpt_verdict_name(rpt_verdict v);
/* Why the verdict is what it is, as one plain-text sentence without the
 * verdict's name ("11 findings at or above high (the fail-on level)"),
 * then what qualifies it ("; 5 evidence problems; 1 rule failed"): the
 * words every writer shows after the name. Returns strlen (as snprintf). */
size_t report_verdict_reason(const report *r, char *out, size_t n);

/* Indexes of the findings sorted by level (worst first), rule pack, rule id,
 * first time, group: a malloc'd array of report_nfindings entries (free()),
 * NULL if there are none or out of memory. */
size_t *report_findings_order(const report *r);
/* Indexes of the rules sorted by pack then id (malloc'd, free()). */
size_t *report_rules_order(const report *r);

/* ---- files ------------------------------------------------------------- */

/* Every writer has this shape (report_write_html, _junit, _jsonl, _markdown). */
typedef lt_status (*report_writer)(const report *r, FILE *out, lt_error *err);

/* Writes path atomically: to "path.tmp", then renamed over path, so a reader
 * never sees half a report. LT_EFILE (err names the file) when it cannot be
 * written; the temporary file is removed on failure. */
/* For a writer whose stream failed (fflush/ferror): LT_EFILE
 * "NAME: write failed: <strerror(errno)>" (EIO when errno is 0), so a full
 * disk says so. */
lt_status report_write_failed(lt_error *err, const char *name) LT_WUR;
lt_status report_write_path(const report *r, report_writer fn, const char *path,
                            lt_error *err) LT_WUR;

/* Rules that hit the event: writes up to max rule indexes to rules
 * (ascending) and returns how many hit (may exceed max). A hit on an event
 * with a seq (a replayed event) is found by its seq, any other by (source,
 * uid). The first call ends the recording of hits by seq, and the calls must
 * come in ascending seq (the replay's order, as timeline.csv's rows): hits are
 * read back from a sorted log, see model/hitlog.h. Hits added afterwards
 * are an error (LT_EFATAL from report_add_hit). */
size_t report_event_rules(report *r, const rpt_event_in *ev, size_t *rules, size_t max);

/* LT_EFATAL when report_event_rules could not read the hit log back (its
 * temporary file); err says why. Check it after the last row. */
lt_status report_event_rules_status(const report *r, lt_error *err) LT_WUR;

/* A finding's event_uids lists every event it covers, also those a
 * correlation only counted (hit with their seq and no header): their uids
 * are learnt after the replay, in one pass over the event headers.
 * report_uids_pending says how many are to learn (call it first);
 * report_resolve_uid gives the uid of the replayed event seq, in ascending
 * seq; report_uids_resolved ends it (places never given a uid are counted in
 * event_uids_omitted). Until then a pending uid is an empty string.
 * LT_EFATAL out of memory. */
size_t report_uids_pending(report *r);
lt_status report_resolve_uid(report *r, uint64_t seq, rpt_str uid) LT_WUR;
void report_uids_resolved(report *r);

#endif
