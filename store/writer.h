/*
 * writer.h — adding members, their events, content and problems to a case.
 *
 * The writer is the only code that inserts into a case index. It is used by
 * one thread (the indexer's writer thread). Members are added inside a
 * transaction the writer opens on demand; writer_commit ends it. A member's
 * row (its completion mark), its events, its stored content and its problems
 * are always in the same transaction, so a killed run leaves whole members
 * or nothing, and a re-run resumes exactly where the last commit stopped.
 *
 * Rules applied here (DESIGN.md §5):
 *   - a member already recorded under the same evidence path and member path
 *     is skipped (idempotence); under the same name with other bytes, it is a
 *     "changed" problem and is skipped;
 *   - a member whose SHA-256 equals an indexed member's is recorded for
 *     custody as state "duplicate" (same_as) and its events are not re-added;
 *   - events are unique by (source, uid, time) and content: all of a
 *     member's events are stored (as event blocks, store/evblock.h), and
 *     writer_dedup, run at the end of every `index`, counts the re-delivered
 *     ones (same canonical content as a copy kept, store/evdup.h) in their
 *     member's duplicates (members.events = events kept); the first copy, in
 *     the order members are added, is the one replay shows
 *     (store/evmerge.h). A copy with other content is kept and recorded in
 *     the conflicts table, and replay shows it too.
 *     Events without a uid get "sha256:<hex of raw>".
 *
 * Ownership: the writer borrows the case_db (which must outlive it) and every
 * writer_member, event and chunk passed in (only during the call).
 * Failures: LT_EFATAL (SQL error, out of memory): the open transaction is
 * rolled back by writer_free; nothing half-written stays.
 */
#ifndef LLMTRAIL_STORE_WRITER_H
#define LLMTRAIL_STORE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "ingest/event.h"
#include "store/blob.h"
#include "store/case.h"

typedef struct writer writer;

/* Problem kinds (problems.kind). */
#define PROBLEM_EVIDENCE "evidence"       /* an evidence path could not be opened or walked */
#define PROBLEM_UNREADABLE "unreadable"   /* a member could not be read or decompressed */
#define PROBLEM_BAD_RECORD "bad-record"   /* one record/line could not be decoded */
#define PROBLEM_MISSING_BODY "missing-body" /* a referenced external body is not in the evidence */
#define PROBLEM_CHANGED "changed"         /* a member's bytes differ from when it was indexed */
#define PROBLEM_SKIPPED "skipped"         /* not read on purpose: a symlink, device or fifo */
#define PROBLEM_NOTE "note"               /* not a fault: said on purpose (a CloudWatch Logs CONTROL_MESSAGE) */
#define PROBLEM_CONFLICT "conflict"       /* same id, other content (conflicts table, not problems) */

typedef struct writer_problem {
	const char *kind;
	uint64_t line;
	uint64_t offset;
	const char *reason;
} writer_problem;

/* Member states (members.state). */
#define MEMBER_INDEXED "indexed"
#define MEMBER_DUPLICATE "duplicate"
#define MEMBER_UNREADABLE "unreadable"
#define MEMBER_IGNORED "ignored" /* read and hashed, not evidence of a known format */
#define MEMBER_CONTAINER "container" /* a nested archive: custody only, its members follow */

typedef struct writer_member {
	const char *evidence;      /* evidence path as given */
	const char *path;          /* member chain inside it, "" for the file itself */
	uint64_t size;             /* bytes as found */
	char sha256[65];           /* of the bytes as found */
	int has_content;           /* content_size/content_sha256 valid (member was compressed) */
	uint64_t content_size;
	char content_sha256[65];
	const char *format;        /* decoder format name ("cloudtrail", ...) */
	const char *state;         /* MEMBER_* */
	const event *events;       /* header fields, uid, time, offset, raw.n, line are used */
	size_t nevents;
	const writer_problem *problems;
	size_t nproblems;
	const blob_chunks *chunks; /* content to keep, or NULL */
} writer_member;

/* What writer_add_member did. */
typedef struct writer_result {
	const char *state;   /* state recorded, or "skipped" (already there), or "changed" */
	int64_t member_id;   /* 0 when skipped */
	uint64_t events_new;              /* events stored (before writer_dedup) */
	uint64_t events_new_by_source[EV_SRC_COUNT]; /* indexed by ev_source */
	uint64_t duplicates;              /* always 0: counted by writer_dedup */
	uint64_t problems_new;
} writer_result;

lt_status writer_new(case_db *c, int64_t run_id, writer **out, lt_error *err) LT_WUR;
/* From now on every event block is stored with its rows' detections
 * (store/detblock.h), each event's taken from ev->user (a detblock_entry, or
 * NULL: nothing matched), under digest (the rules' ruleset_digest; copied).
 * NULL or "": events are stored without (ev->user is ignored). */
void writer_set_detections(writer *w, const char *digest);
void writer_free(writer *w); /* rolls back an open transaction */

/* Records an evidence path (once). kind: "file", "dir", "archive"; sha256
 * may be NULL (folders, or not known yet). A later call with a sha256 fills
 * size, kind and sha256 of a row that has none yet; a row that has one keeps it. */
lt_status writer_evidence(writer *w, const char *path, const char *kind, int64_t size, const char *sha256,
                          lt_error *err) LT_WUR;

/* Adds a whole member: writer_member_begin, then its chunks and events, then
 * writer_member_end (the same steps as adding it in parts). */
lt_status writer_add_member(writer *w, const writer_member *m, writer_result *res, lt_error *err) LT_WUR;

/*
 * Adding a member in parts, for members too large to hold decoded (all
 * calls in the writer's open transaction; commit only after _end):
 *   writer_member_begin records the member row from m (evidence, path, size,
 *     sha256, and a provisional format/state; events, chunks and problems of
 *     m are not used) and applies the skip/changed/duplicate rules; *wanted
 *     is 1 when its contents are to follow, 0 when it is done (res->state
 *     "skipped", "changed" or MEMBER_DUPLICATE);
 *   writer_member_events stores one batch of events (any number of calls;
 *     each batch becomes blocks of its own, see writer.c);
 *   writer_member_chunks stores content chunks, numbered on from the last;
 *   writer_member_end records m's problems and settles the row: format,
 *     state, content_size/content_sha256 and the counts from res.
 * res is the same across the calls and ends as writer_add_member's would.
 */
lt_status writer_member_begin(writer *w, const writer_member *m, writer_result *res, int *wanted,
                              lt_error *err) LT_WUR;
lt_status writer_member_events(writer *w, const event *ev, size_t n, writer_result *res, lt_error *err) LT_WUR;
lt_status writer_member_chunks(writer *w, const blob_chunks *c, lt_error *err) LT_WUR;
lt_status writer_member_end(writer *w, const writer_member *m, writer_result *res, lt_error *err) LT_WUR;

/* A problem not tied to a stored member (e.g. an evidence path that does not open).
 * Returns LT_OK; *added says whether it was new. */
lt_status writer_problem_add(writer *w, const char *kind, const char *file, const char *member, uint64_t line,
                             uint64_t offset, const char *reason, int *added, lt_error *err) LT_WUR;

/* Commits the open transaction (no-op if none). */
lt_status writer_commit(writer *w, lt_error *err) LT_WUR;

/* After all members: checks every external body reference against the stored
 * objects, flags events whose body is missing (EV_F_BODY_MISSING) and records
 * one "missing-body" problem per missing reference (kept once across runs);
 * references that now resolve lose their flag and problem. Commits. */
lt_status writer_resolve_bodies(writer *w, uint64_t *missing, lt_error *err) LT_WUR;

/* Brings the de-duplication counts up to date with the stored blocks, if any
 * block was added since the last count (members.events/duplicates, the
 * conflicts and the dedup table, then commits); *ran says whether it had to. A run killed
 * before this is counted by the next one, so the result never depends on
 * where a run was interrupted. Linear in the case's events. */
lt_status writer_dedup(writer *w, int *ran, lt_error *err) LT_WUR;

#endif
