/*
 * reportset.h — a report set replaced as a whole (issue 22 #11: a run killed
 * between two renames left new report.html and junit.xml beside the previous
 * run's findings.jsonl, summary.md and timeline.csv).
 *
 * The new set is written into a fresh folder beside the output folder
 * ("DIR.llmtrail-new.XXXXXX", same parent, so same filesystem), then swapped
 * in at once: the files of DIR that are not report files (analyze's case)
 * are hard-linked into the new folder, the two folders are exchanged with
 * renameat2(RENAME_EXCHANGE) and the old one is removed. A run that fails or
 * is killed before the exchange leaves DIR as it was (at worst the staging
 * folder beside it); after it, DIR holds exactly the new set. Where the
 * exchange is impossible (not Linux, DIR a symlink or ".", a subfolder in
 * DIR, no hard links), the files are renamed into DIR one at a time (each
 * rename atomic, the set not) and stale report files are removed.
 *
 * Ownership: report_set_commit and report_set_abort free the set.
 * Failures: LT_EFATAL with err naming the path and errno.
 */
#ifndef LLMTRAIL_REPORTS_REPORTSET_H
#define LLMTRAIL_REPORTS_REPORTSET_H

#include <stddef.h>

#include "common/error.h"

typedef struct report_set report_set;

/* names[0..n): every file name a report set may hold (stale ones are dropped). */
lt_status report_set_begin(const char *dir, const char *const *names, size_t n, report_set **out,
                           lt_error *err) LT_WUR;
/* The folder to write the new set into. */
const char *report_set_path(const report_set *s);
/* Swaps the staged set in (see above). *atomic says whether it was one exchange. */
lt_status report_set_commit(report_set *s, int *atomic, lt_error *err) LT_WUR;
/* Removes the staged folder and what it holds; DIR is untouched. */
void report_set_abort(report_set *s);

#endif
