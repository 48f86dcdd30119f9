/*
 * indexer.h — `llmtrail index` without the command line: evidence paths in,
 * a case index out (DESIGN.md §2, §5).
 *
 * Pipeline: the calling thread walks the evidence (ingest/walk.h) and hands
 * each member to a pool of worker threads, which decompress it
 * (ingest/gunzip.h), decode it (ingest/decode.h) and pack its content for
 * storage (store/blob.h); one writer thread adds the results to the case
 * (store/writer.h) in walk order, in batched transactions. Queues between the
 * stages are bounded (members and bytes in flight), so memory does not grow
 * with the evidence. Members already recorded under the same name and
 * SHA-256 are skipped before they are decompressed.
 *
 * A member larger than big_member_bytes once decompressed would cost several
 * times its size in memory that way; the writer thread takes it instead, in
 * its turn: it inflates it into an unlinked temporary file ($TMPDIR, else
 * /tmp), maps it, and stores its events in batches and its content in
 * BLOB_CHUNK slices, all in one transaction as for any member.
 *
 * Ownership: indexer_run borrows everything passed in. The callbacks run on
 * the writer thread, one at a time.
 * Failures: LT_EFATAL (case index unwritable, out of memory): what was
 * committed stays valid and a re-run resumes. Unreadable evidence is not a
 * failure of the run: it is counted in stats->unreadable and recorded as
 * problems.
 */
#ifndef LLMTRAIL_STORE_INDEXER_H
#define LLMTRAIL_STORE_INDEXER_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "ingest/event.h"
#include "store/case.h"
#include "store/detblock.h"

typedef struct indexer_stats {
	uint64_t files;              /* evidence files hashed */
	uint64_t members;            /* leaf members seen */
	uint64_t members_new;        /* recorded by this run (any state) */
	uint64_t members_skipped;    /* already in the case */
	uint64_t members_duplicate;  /* same bytes as an indexed member */
	uint64_t members_unreadable; /* recorded as unreadable by this run */
	uint64_t bytes;              /* member bytes seen, as found (compressed) */
	uint64_t bytes_total;        /* estimate of all bytes to read (for ETA), 0 if unknown */
	uint64_t events_new, events_cloudtrail, events_invocation, events_kblog;
	uint64_t duplicates;         /* events dropped as re-delivered copies (same source, uid, time, content) */
	uint64_t conflicts;          /* copies with the same id and other content, kept (when judged by this run) */
	uint64_t problems;           /* problems found by this run */
	uint64_t unreadable;         /* problems that mean evidence was not read as it is now (all kinds
	                                but missing-body: evidence, unreadable, bad-record, skipped, changed) */
	uint64_t missing_bodies;     /* external bodies not in the case after this run */
	uint64_t earlier_problems;   /* skipped members that were unreadable or had problems when indexed */
	double seconds;
} indexer_stats;

typedef struct indexer_options {
	unsigned jobs;              /* worker threads; 0 = number of online CPUs */
	uint64_t max_member_bytes;  /* largest member, as found and decompressed; 0 = 4 GiB */
	/* Members larger than this (decompressed) are not decoded by a worker: the
	 * writer thread inflates them to a temporary file and decodes and stores
	 * them in pieces, in bounded memory, with the same result; 0 = 256 MiB. */
	uint64_t big_member_bytes;
	unsigned big_batch_events;  /* events a big member stores at a time; 0 = 65536 */
	/* The run's decompressed-bytes budget: bytes read out of archives and
	 * compressed streams plus bytes inflated from gzip members; once spent,
	 * later members are refused with an unreadable problem naming the cap.
	 * 0 = LT_BUDGET_DEFAULT (256 GiB); UINT64_MAX = no cap. */
	uint64_t max_total_bytes;
	/* Called about every 250 ms while indexing (NULL: none). */
	void (*on_progress)(void *ctx, const indexer_stats *s);
	/* Called for each problem found by this run (NULL: none). kind is a PROBLEM_* name. */
	void (*on_problem)(void *ctx, const char *kind, const char *file, const char *member, uint64_t line,
	                   const char *reason);
	void *ctx;
	/* Detection while indexing (NULL: none). Called with each event as it is
	 * decoded (doc and derived text present), on the thread that decodes it:
	 * a worker (thread 0 .. jobs - 1) or the writer (thread `jobs`, for big
	 * members; see indexer_threads), one call at a time per thread. It sets
	 * *out to what to store with the event (store/detblock.h: bytes valid
	 * until its next call on that thread; n == 0 and !deferred: nothing
	 * matched) and returns LT_OK, or LT_EFATAL, which ends the run with err.
	 * Every block is then stored with its detections under detect_digest. */
	lt_status (*detect)(void *detect_ctx, unsigned thread, const event *ev, detblock_entry *out,
	                    lt_error *err);
	void *detect_ctx;
	const char *detect_digest;
	/* argv recorded in the run log. */
	int argc;
	char *const *argv;
} indexer_options;

void indexer_options_init(indexer_options *o);
/* Threads that decode events (and so may call o->detect): the workers and
 * the writer; detect's thread argument is below this. */
unsigned indexer_threads(const indexer_options *o);

/* Indexes paths[0..npaths) into the case at case_path (created if missing). */
lt_status indexer_run(const char *case_path, const char *const *paths, size_t npaths, const indexer_options *o,
                      indexer_stats *stats, lt_error *err) LT_WUR;

#endif
