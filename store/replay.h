/*
 * replay.h — the chronological replay cursor over a case index.
 *
 * A replay yields the case's events ordered by (time, source, uid) — a total,
 * stable order, so output built from it is deterministic; of the re-delivered
 * copies of an event (same source, uid, time and content) only the first
 * stored is shown, while a copy with other content (store/evdup.h) is shown
 * too, flagged EV_F_CONFLICT — optionally
 * filtered by a time range, source, principal, action, model or uid. For each
 * event it fills an `event` (ingest/event.h): header fields from the index
 * columns, raw = the exact original record bytes (read back from the stored,
 * compressed member content), doc = the record re-parsed, provenance
 * (evidence path, member chain, member SHA-256 and id), and for invocation
 * events the derived text fields (prompt, system, response, tool_calls) via
 * bedrock_derive, with external bodies (inputBodyS3Path/outputBodyS3Path)
 * resolved against the stored objects of the case.
 *
 * Each event also gets its place: event.seq, its 1-based position in this
 * replay, and event.tie, its 0-based position among the case's events with
 * the same time and source. (source, time_us, tie) names one event in every
 * replay whose range includes that time, whatever the other filters: a
 * replay of [time_us, time_us + 1) finds it again (how `scan` reads back the
 * header of an event that took part in a correlation).
 *
 * Memory is bounded: event blocks are decoded only while the replay is inside
 * their time span (store/evmerge.h); decompressed member content is kept in a small LRU
 * cache (REPLAY_CACHE_ENTRIES chunks, at most REPLAY_CACHE_BYTES in all,
 * always at least the chunk in use; a large chunk inflated a second time is
 * spilled to a scratch file and read back per event, see REPLAY_SPILL_MIN),
 * and each step's allocations live in an
 * arena reset by the next step (capped at REPLAY_STEP_CAP bytes).
 *
 * Ownership: the replay borrows the case_db (it must outlive the replay).
 * The event and every pointer in it belong to the replay and stay valid until
 * the next replay_next or replay_free. A case_db may serve several replays,
 * one thread at a time (a REPLAY_PREFETCH replay opens its own connection,
 * so the caller keeps using c while it runs).
 *
 * Usage:
 *   replay_filter f; replay_filter_init(&f); f.source = EV_SRC_INVOCATION;
 *   replay *r; if (replay_new(c, &f, &r, &err) != LT_OK) ...;
 *   const event *ev; lt_status st;
 *   while ((st = replay_next(r, &ev, &err)) != LT_EFATAL && ev != NULL) {
 *       if (st != LT_OK) report(&err);   // ev still usable: header + raw
 *       ...
 *   }
 *   replay_free(r);
 */
#ifndef LLMTRAIL_STORE_REPLAY_H
#define LLMTRAIL_STORE_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "ingest/event.h"
#include "store/case.h"
#include "store/detblock.h"

#define REPLAY_CACHE_ENTRIES 64
#define REPLAY_CACHE_BYTES ((size_t)64 << 20) /* the working set: members open at one time */
#define REPLAY_STEP_CAP ((size_t)256 << 20)
/* A chunk of at least REPLAY_SPILL_MIN bytes inflated a second time is kept,
 * inflated, in a scratch file in $TMPDIR (at most REPLAY_SPILL_MAX bytes per
 * replay), so members overlapping in time do not re-inflate on every event. */
#define REPLAY_SPILL_MIN ((uint64_t)1 << 20)
#define REPLAY_SPILL_MAX ((uint64_t)16 << 30)

#define REPLAY_FILTER_MAX_VALUE 4096 /* = VALMATCH_MAX_VALUE */
#define REPLAY_NMATCH 7              /* the field filters below */

/* replay_filter.flags */
#define REPLAY_HEADERS_ONLY 0x1u /* no raw bytes, no re-parse, no derived text (fast listing) */
#define REPLAY_NO_DERIVE 0x2u    /* raw and doc, but no derived text */
/* Read, inflate, parse and derive in a thread of the replay's own, on its own
 * read-only connection, a few hundred events ahead of the caller (which can
 * then use both cores: its matching beside the replay's reading). The events
 * are the same, in the same order. Ignored with REPLAY_HEADERS_ONLY. */
#define REPLAY_PREFETCH 0x4u

/* See replay_filter.prepare. */
typedef lt_status (*replay_prepare_fn)(void *ctx, event *ev, const detblock_entry *stored, arena *a,
                                       lt_error *err);

typedef struct replay_filter {
	int64_t since_us;      /* events at or after; INT64_MIN = no bound */
	int64_t until_us;      /* events before; INT64_MAX = no bound */
	ev_source source;      /* EV_SRC_UNKNOWN = any source */
	/* principal .. region: NULL = any; else matched as common/valmatch.h
	 * says (any case, a glob over the whole value, or without glob
	 * characters the part after the value's last '/': "ci-deploy" finds
	 * arn:aws:iam::1:user/ci-deploy). Every one given must match. */
	const char *principal;  /* ARN */
	const char *action;     /* eventName/operation */
	const char *model;      /* model id or inference-profile ARN */
	const char *access_key; /* access key id */
	const char *source_ip;
	const char *account;    /* recipient account id */
	const char *region;
	const char *uid;       /* exact uid, NULL = any */
	unsigned flags;
	/* Work done on each event before replay_next returns it, with
	 * REPLAY_PREFETCH on the producer thread (beside the caller's work on
	 * earlier events), else on the caller's thread; one call at a time, in
	 * replay order. It may set ev->user to what it made, allocated from a,
	 * which lives as long as the event. An event it fails (LT_EITEM...) is
	 * still returned, with that status and err; LT_EFATAL ends the replay.
	 * NULL: none. */
	replay_prepare_fn prepare;
	void *prepare_ctx;
	/* The digest (sigma ruleset_digest) under which the case's stored
	 * detections are wanted (NULL: none). prepare's stored argument is then,
	 * for each event: NULL when its block has none under that digest (the
	 * event was indexed without, or with other rules); else what detection
	 * found when the event was indexed (n == 0 and !deferred: nothing). */
	const char *detections;
	/* Whether an event needs its record (raw bytes, parsed document, derived
	 * text), asked with its header fields and stored detection (as prepare
	 * gets it) before the record is read; false: the event comes with its
	 * header only, as with REPLAY_HEADERS_ONLY. NULL: every event does.
	 * Called where prepare is, just before it, with prepare_ctx and the
	 * event's arena. */
	bool (*wants_record)(void *ctx, const event *ev, const detblock_entry *stored, arena *a);
} replay_filter;

typedef struct replay replay;

/* Everything open: all events, full detail. */
void replay_filter_init(replay_filter *f);

/* LT_EFATAL on SQL errors or out of memory. The filter is copied. */
lt_status replay_new(case_db *c, const replay_filter *f, replay **out, lt_error *err) LT_WUR;

/*
 * Next event, or *ev = NULL at the end (returns LT_OK then).
 * LT_OK: *ev complete. LT_EITEM / LT_EFILE: *ev has header fields and
 * provenance but something was lost (raw not readable -> raw empty, doc NULL;
 * record no longer parses -> doc NULL; an external body missing or
 * unparsable -> derived text of that side empty); err says what, with file,
 * member and line. LT_EFATAL: the replay cannot go on (*ev = NULL): SQL
 * error, out of memory, or a stored event block that does not decode.
 */
lt_status replay_next(replay *r, const event **ev, lt_error *err) LT_WUR;

/* The bytes [offset, offset + length) of a stored member's decompressed
 * content, read through r's chunk cache (store/evdup.c compares the copies of
 * an event with it). *raw is valid until the next call on r. LT_EFILE when
 * the stored content does not cover them, LT_EITEM when too large. */
lt_status replay_read_span(replay *r, int64_t member_id, uint64_t offset, uint64_t length, ev_str *raw,
                           lt_error *err) LT_WUR;

/* Events matching the filter (a headers-only pass; ignores flags). */
lt_status replay_count(case_db *c, const replay_filter *f, int64_t *n, lt_error *err) LT_WUR;

/* Event blocks whose stored detections did not decode (their events came
 * with stored == NULL): read once replay_next has returned the end. *first
 * (if not NULL) names the first (block, member, why). */
uint64_t replay_detections_damaged(const replay *r, const char **first);

void replay_free(replay *r);

#endif
