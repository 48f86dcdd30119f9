/*
 * rpt.h — the value types of the report model: string slices, levels, the
 * limits, the options, and the hit's parts as given (rpt_event_in,
 * rpt_match_in) and as kept (rpt_event, rpt_match, rpt_finding).
 *
 * Plain structs and constants, no functions: both the report (report.h,
 * which owns a findings set and the writers read) and the findings
 * aggregator (findings.h, which makes the rpt_finding values) include this
 * header, so neither includes the other's header in both directions (the
 * findings.c <-> report.c cycle of issue 15). The report's contract
 * (ownership, bounds, failures) is stated in report.h.
 */
#ifndef LLMTRAIL_MODEL_RPT_H
#define LLMTRAIL_MODEL_RPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- strings ------------------------------------------------------------ */

typedef struct rpt_str {
	const char *p; /* may be NULL when n == 0 */
	size_t n;
} rpt_str;

static inline rpt_str rpt_sn(const char *p, size_t n)
{
	rpt_str s = {p, n};
	return s;
}
/* A C string as a slice; NULL becomes the empty slice. */
static inline rpt_str rpt_s(const char *cstr)
{
	rpt_str s = {cstr, cstr ? strlen(cstr) : 0};
	return s;
}

typedef struct rpt_pair {
	rpt_str name;
	rpt_str value;
} rpt_pair;

/* ---- levels ------------------------------------------------------------- */

/* Sigma levels, in order of severity. */
typedef enum rpt_level {
	RPT_LEVEL_INFORMATIONAL = 0,
	RPT_LEVEL_LOW = 1,
	RPT_LEVEL_MEDIUM = 2,
	RPT_LEVEL_HIGH = 3,
	RPT_LEVEL_CRITICAL = 4,
	RPT_LEVEL_NONE = 5 /* only as fail_on: nothing fails */
} rpt_level;
#define RPT_NLEVELS 5

/* ---- limits ------------------------------------------------------------- */

#define RPT_MAX_MATCHES 4         /* matches kept per event */
#define RPT_EXCERPT_CONTEXT 60    /* bytes of context kept on each side of a match */
#define RPT_MATCH_MAX 200         /* bytes of a match kept in an excerpt */
#define RPT_TOP_CAP 50000         /* distinct principals / IPs counted */
#define RPT_MAX_SOURCES 8         /* distinct event sources in the timeline; more go to "other" */
#define RPT_HIT_INDEX_CAP 4000000 /* (event, rule) pairs of events without a seq remembered */
#define RPT_MAX_EVENT_UIDS 10000  /* event uids listed per finding */
#define RPT_EVENT_UIDS_TOTAL 2000000 /* event uids listed over all findings */

/* ---- options ----------------------------------------------------------- */

typedef struct rpt_options {
	rpt_level fail_on;       /* findings at or above fail the run (RPT_LEVEL_NONE: never) */
	bool redact;             /* redact secrets found by disclosure rules (default true) */
	int64_t window_us;       /* aggregation window; 0 = every hit is its own finding */
	size_t max_events;       /* events kept per finding (0 = default 20) */
	size_t max_findings;     /* findings kept (0 = default 100000) */
	bool fail_on_control;    /* a failed compliance control fails the run (--fail-on-control) */
} rpt_options;

#define RPT_DEFAULT_WINDOW_US (3600LL * 1000000LL)
#define RPT_DEFAULT_MAX_EVENTS 20
#define RPT_DEFAULT_MAX_FINDINGS 100000
/* The findings' copies of event strings over RPT_LONG_TEXT bytes (user
 * agents, attacker-made names) total at most RPT_LONG_BUDGET bytes; past it
 * such a string is kept abbreviated (its first RPT_LONG_PREFIX bytes, its
 * length and 128 bits of its SHA-256, ingest/sha256.h sha256_abbrev) and
 * counted (report_findings_abbreviated): memory stays flat whatever the
 * evidence's distinct long values; the record is in the case (`show`). */
#define RPT_LONG_TEXT 256
#define RPT_LONG_PREFIX 96
#define RPT_LONG_BUDGET ((size_t)32 << 20)

/* ---- a hit as given ---------------------------------------------------- */

/* One event as the writers see it. Numbers are -1 when absent. */
typedef struct rpt_event_in {
	int64_t time_us;
	rpt_str source; /* "cloudtrail", "invocation" */
	rpt_str uid;
	rpt_str request_id;
	rpt_str action;
	rpt_str service;
	rpt_str principal;
	rpt_str access_key;
	rpt_str account;
	rpt_str region;
	rpt_str source_ip;
	rpt_str user_agent;
	rpt_str model;
	rpt_str error_code;
	rpt_str guardrail_action;
	int64_t input_tokens;
	int64_t output_tokens;
	int64_t latency_ms;
	rpt_str evidence;      /* provenance: evidence file */
	rpt_str member;        /* member chain, "" for the file itself */
	uint64_t line;         /* line or record ordinal */
	rpt_str member_sha256; /* of the member as stored */
	uint64_t seq;          /* position in the scan's replay (event.seq); 0: none */
	bool caller_joined;    /* source_ip, user_agent, access_key were joined from the
	                          CloudTrail call with the same request id */
	bool bearer_token;     /* made with a Bedrock API key (CloudTrail callWithBearerToken;
	                          joined onto the invocation record like the caller) */
} rpt_event_in;

typedef struct rpt_match_in {
	rpt_str field;      /* field name, e.g. "prompt" or "userIdentity.arn" */
	rpt_str value;      /* the whole field value */
	size_t start, end;  /* match span in value, byte offsets, start <= end <= value.n */
	bool secret;        /* disclosure rule: redact the matched text unless redaction is off */
} rpt_match_in;

/* ---- a finding as kept -------------------------------------------------- */

typedef struct rpt_match {
	rpt_str field;
	rpt_str excerpt;       /* context + match (redacted when .redacted) + context */
	size_t mark_start;     /* match span in excerpt */
	size_t mark_end;
	size_t value_start;    /* match span in the original field value */
	size_t value_end;
	size_t value_len;      /* length of the original field value */
	bool cut_before;       /* excerpt starts after the value's start */
	bool cut_after;        /* excerpt ends before the value's end (or the match was cut) */
	bool redacted;
} rpt_match;

typedef struct rpt_event {
	int64_t time_us;
	rpt_str source, uid, action, principal, source_ip;
	rpt_str request_id, access_key, user_agent, account, region, model, error_code;
	int64_t input_tokens, output_tokens; /* -1 when absent */
	bool caller_joined; /* source_ip, user_agent, access_key came from the CloudTrail call
	                       with the same request id (an invocation record has none) */
	bool bearer_token;  /* made with a Bedrock API key */
	rpt_str evidence, member, member_sha256;
	uint64_t line;
	const rpt_match *matches;
	size_t nmatches;
	size_t matches_dropped;
} rpt_event;

typedef struct rpt_finding {
	size_t rule;           /* index for report_rule */
	int64_t first_us, last_us;
	const rpt_pair *group;
	size_t ngroup;
	rpt_str group_text;    /* "name=value, name=value" (display; escape it) */
	uint64_t count;        /* events in the finding */
	const rpt_event *events;
	size_t nevents;        /* kept; count - nevents were counted only */
	const rpt_str *event_uids; /* every event's uid, in hit order (capped: RPT_MAX_EVENT_UIDS) */
	size_t nevent_uids;
	uint64_t event_uids_omitted; /* events past the caps, or without a uid (a
	                                correlation's counted-only events get theirs after the replay: report_resolve_uid) */
	double confidence;     /* 0..1; -1 until report_assess_finding */
	rpt_str level_reason;  /* why its level (and confidence); empty until assessed */
} rpt_finding;

#endif
