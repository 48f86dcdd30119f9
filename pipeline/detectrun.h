/*
 * detectrun.h — rule detection in the index workers, so that `analyze`
 * parses each record once (issue #15).
 *
 * `analyze` knows its rules before it indexes: it compiles them, and the
 * indexer's workers run the stateless half of matching (sigma_detect) on each
 * record while it is parsed in memory. What detection found is encoded
 * (sigma_detection_encode) and stored beside the event block under the rules'
 * digest (store/detblock.h); the scan that follows (or any later scan with
 * the same rules) reads it back instead of detecting again, and detects only
 * what was not stored: blocks indexed without these rules, and records whose
 * body lives in another member (EV_F_BODY_EXTERNAL: judged from the record in
 * the replay, where the body is joined to it).
 *
 * Ownership: the detectrun borrows the compiled ruleset, which must outlive
 * it. Threads: detectrun_detect may run on `threads` threads at once, each
 * with its own number (below threads), one call at a time per number.
 */
#ifndef LLMTRAIL_PIPELINE_DETECTRUN_H
#define LLMTRAIL_PIPELINE_DETECTRUN_H

#include "analyzers/sigma/sigma.h"
#include "common/error.h"
#include "ingest/event.h"
#include "store/detblock.h"

typedef struct detectrun detectrun;

/* NULL when out of memory or rs is not compiled. */
detectrun *detectrun_new(const sigma_ruleset *rs, unsigned threads) LT_WUR;
void detectrun_free(detectrun *d);

/* The indexer's detect hook (store/indexer.h): ctx is a detectrun. */
lt_status detectrun_detect(void *ctx, unsigned thread, const event *ev, detblock_entry *out, lt_error *err);

/* What the scan's replay hands over for one event, as a detection of rs to
 * give ruleset_match_detected, allocated from a; *det = NULL when the event
 * must be detected from its record (not stored, or deferred). LT_EFILE for
 * damaged bytes (err says so; detect from the record instead). */
lt_status detectrun_stored(const sigma_ruleset *rs, const detblock_entry *stored, arena *a,
                           const sigma_detection **det, lt_error *err);

#endif
