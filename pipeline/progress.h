/*
 * progress.h — a progress line on stderr while a long step runs: what is
 * done of what, the rate, and an ETA once it means something.
 *
 * Shown only when stderr is a terminal and the log level lets warnings
 * through (-q silences it); redrawn at most PROGRESS_HZ times a second; the
 * line is cleared when the step ends, so nothing of it stays in a log. The
 * first PROGRESS_ETA_AFTER seconds show no ETA: their rate is start-up
 * (threads, cold caches, the first archive's headers), and an ETA from it is
 * wildly wrong (a first "4m56s" on a run of 0.85 s).
 */
#ifndef LLMTRAIL_PIPELINE_PROGRESS_H
#define LLMTRAIL_PIPELINE_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#define PROGRESS_HZ 4
#define PROGRESS_ETA_AFTER 2.0 /* seconds */

typedef struct progress progress;

/* NULL, and every call a no-op, when no progress is to be shown (or out of
 * memory). what names the unit ("events"); total 0 = unknown. */
progress *progress_new(const char *label, const char *what, uint64_t total);
/* done so far; cheap to call often (it reads the clock only every 1,024 calls). */
void progress_update(progress *p, uint64_t done);
/* The same for steps that each take a while (a digest and its log files):
 * the clock is read on every call. */
void progress_step(progress *p, uint64_t done);
/* Clears the line and frees p. */
void progress_end(progress *p);

/* True when progress lines are shown at all (stderr a terminal, not -q). */
int progress_wanted(void);
/* "12m05s", "1h02m", or "..." before PROGRESS_ETA_AFTER seconds, "?" when the
 * rate says nothing: the time left to do total - done at done/elapsed. */
void progress_eta(double elapsed, uint64_t done, uint64_t total, char *out, size_t n);

#endif
