/*
 * hitlog.h — which rules hit which replayed event, kept in bounded memory.
 *
 * timeline.csv lists, on each event's row, every rule that hit the event. A
 * hit names its event by the event's position in the replay (event.seq), and
 * hits arrive in any order: a correlation fires on a later event and names
 * the events of its window. The log keeps (seq, rule) pairs in a buffer of at
 * most run_pairs pairs; a full buffer is sorted, de-duplicated and written to
 * an unlinked temporary file (in $TMPDIR, else /tmp) as one sorted run. After
 * hitlog_rewind the pairs are read back in seq order by a merge of the runs,
 * for rows that are written in replay order. Memory: the buffer, a small
 * direct-mapped filter that drops most repeats before they are stored (a
 * correlation names the same events each time it fires), and a 32 KiB read
 * buffer per run while reading. Disk: 8 bytes per distinct pair, a little
 * more when repeats slip past the filter.
 *
 * Limits: seq < 2^40 - 1 (a trillion events), rule < 2^24. A pair outside them
 * is refused with LT_EITEM.
 *
 * Ownership: hitlog_new returns a log the caller frees with hitlog_free
 * (NULL is a no-op); the temporary file goes with it.
 * Errors: LT_EFATAL when the temporary file cannot be written or read, or out
 * of memory; err says which.
 */
#ifndef LLMTRAIL_REPORTS_HITLOG_H
#define LLMTRAIL_REPORTS_HITLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define HITLOG_RUN_PAIRS ((size_t)1 << 21) /* 16 MiB of pairs before a run is written */
#define HITLOG_SEQ_MAX (((uint64_t)1 << 40) - 2) /* the top key means "none" */
#define HITLOG_RULE_MAX ((1u << 24) - 1)

typedef struct hitlog hitlog;

/* run_pairs 0 = HITLOG_RUN_PAIRS. NULL when out of memory. */
hitlog *hitlog_new(size_t run_pairs) LT_WUR;
void hitlog_free(hitlog *h);

/* Records that rule hit the event at seq (repeats are harmless). Only before
 * hitlog_rewind. */
lt_status hitlog_add(hitlog *h, uint64_t seq, uint32_t rule, lt_error *err) LT_WUR;

/* Ends the adding and starts reading at the lowest seq. Once it has failed,
 * every later call fails the same way (err may be NULL). */
lt_status hitlog_rewind(hitlog *h, lt_error *err) LT_WUR;

/* The distinct rules that hit the event at seq, ascending, into rules[0..max);
 * returns how many there are (may exceed max). Calls must come with
 * non-decreasing seq after hitlog_rewind; a read error makes this and every
 * later call return 0 and hitlog_failed true. */
size_t hitlog_rules(hitlog *h, uint64_t seq, uint32_t *rules, size_t max);

/* True after hitlog_rewind or hitlog_rules failed (out of memory, or the
 * temporary file could not be read back); err gets the message. */
bool hitlog_failed(const hitlog *h, lt_error *err);

/* Runs written to the temporary file so far (for tests and statistics). */
size_t hitlog_runs(const hitlog *h);

#endif
