/*
 * event.h — the event model every stage shares (DESIGN.md §4).
 *
 * A decoder turns one record of evidence into one event: the exact original
 * bytes, the parsed document, the normalized header fields the rest of the
 * pipeline uses, and where it came from. All strings are borrowed slices
 * (ev_str: pointer + length, not NUL-terminated) into the member's
 * decompressed text or into the arena of the batch that holds the event; an
 * event is valid as long as that batch (or replay step) is.
 *
 * Absent fields are empty slices (p == NULL, n == 0); absent numbers are -1.
 */
#ifndef LLMTRAIL_INGEST_EVENT_H
#define LLMTRAIL_INGEST_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/json.h"

typedef enum ev_source {
	EV_SRC_UNKNOWN = 0,
	EV_SRC_CLOUDTRAIL = 1,
	EV_SRC_INVOCATION = 2,
	EV_SRC_KBLOG = 3 /* Bedrock Knowledge Base application log (ingestion jobs) */
} ev_source;
#define EV_SRC_COUNT 4 /* arrays indexed by ev_source */

typedef struct ev_str {
	const char *p;
	size_t n;
} ev_str;

#define EV_STR_NULL ((ev_str){NULL, 0})

/* Where a record came from: the evidence file as given on the command line,
 * the chain of member names inside it ('/'-joined, "" for a plain file), and
 * the SHA-256 (hex) of the member's bytes as found (compressed if it was). */
typedef struct ev_provenance {
	const char *evidence; /* NUL-terminated */
	const char *member;   /* NUL-terminated, "" when the evidence file itself */
	char sha256[65];      /* of the member as stored (e.g. the .json.gz bytes) */
	int64_t member_id;    /* case-index id once stored, else 0 */
} ev_provenance;

/* event flags */
#define EV_F_UTF8_REPLACED 0x01u   /* invalid UTF-8 in the record was replaced */
#define EV_F_BODY_EXTERNAL 0x02u   /* a body lives in an S3 object (inputBodyS3Path/outputBodyS3Path) */
#define EV_F_BODY_MISSING 0x04u    /* ...and that object is not in the evidence */
#define EV_F_GUARDRAIL 0x08u       /* a guardrail intervened */
#define EV_F_STREAM 0x10u          /* response was a stream of chunks */
#define EV_F_TIME_FALLBACK 0x20u   /* time came from a secondary field (e.g. CloudWatch prefix) */
#define EV_F_CONFLICT 0x40u        /* a later copy of an event (same source, uid, time) with other
                                      content: kept beside the first (set by the replay, store/evdup.h) */
#define EV_F_BEARER_TOKEN 0x80u    /* CloudTrail: the call was made with a Bedrock API key
                                      (additionalEventData.callWithBearerToken: true) */
#define EV_F_NO_RESOURCES 0x100u   /* CloudTrail: the record lists no resources (absent or empty
                                      resources[]): the scan's usage dashboard need not read it.
                                      Set from this version on; a case indexed before has it on no
                                      event, so its records are read as before. */

typedef struct event {
	ev_source source;
	uint32_t flags;
	int64_t time_us; /* UTC microseconds since the epoch */

	ev_str uid;        /* eventID (CloudTrail) or requestId (invocation log) */
	ev_str request_id; /* requestID / requestId: joins CloudTrail and invocation logs */
	ev_str action;     /* eventName or operation */
	ev_str service;    /* eventSource ("bedrock.amazonaws.com"); "bedrock" for invocation logs */
	ev_str principal;  /* userIdentity.arn / identity.arn */
	ev_str access_key; /* userIdentity.accessKeyId */
	ev_str account;    /* recipientAccountId / accountId */
	ev_str region;
	ev_str source_ip;
	ev_str user_agent;
	ev_str model;      /* modelId (invocation) or requestParameters.modelId (CloudTrail) */
	ev_str error_code;
	ev_str guardrail_action; /* "INTERVENED", "NONE", or empty */
	int64_t input_tokens;
	int64_t output_tokens;
	int64_t latency_ms;

	/* Derived text (invocation logs), see bedrock.h. Empty until derived. */
	ev_str prompt;     /* user, tool-result and document text sent to the model */
	ev_str system;     /* system prompt(s) */
	ev_str response;   /* all generated text, stream deltas joined, guardrail-blocked output included */
	ev_str tool_calls; /* tool names and inputs the model asked for, as JSON lines */
	ev_str input_body_ref;  /* inputBodyS3Path when the body is external */
	ev_str output_body_ref; /* outputBodyS3Path when the body is external */

	ev_str raw;             /* exact original bytes of the record */
	const json_value *doc;  /* parsed record */
	const ev_provenance *prov;
	uint64_t line;   /* 1-based line (JSON Lines) or record ordinal (Records array) */
	uint64_t offset; /* byte offset of raw in the decompressed member */
	uint64_t seq;    /* 1-based position in the replay that gave it (0: not replayed) */
	uint32_t tie;    /* 0-based position among the replay's events with the same time and
	                    source: (source, time_us, tie) names the event in any replay of the
	                    case whose range includes time_us (store/replay.h) */
	void *user;      /* what the replay's prepare function attached (store/replay.h) */
} event;

const char *ev_source_name(ev_source s); /* "cloudtrail", "invocation", "kb-log", "unknown" */
ev_source ev_source_from_name(const char *name); /* EV_SRC_UNKNOWN if not known */

/* Slice helpers. */
static inline ev_str ev_str_from(const char *p, size_t n)
{
	ev_str s = {p, n};
	return s;
}
ev_str ev_str_json(const json_value *v); /* a JSON string's bytes, else EV_STR_NULL */
int ev_str_eq(ev_str a, const char *s);  /* 1 if equal to the C string s */

/* Clears an event to "all absent" (numbers -1). */
void event_init(event *ev);

#endif
