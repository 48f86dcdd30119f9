/*
 * custodyrun.h — the terminal side of the custody re-check (store/custody.h)
 * for index, scan, verify; and the one format every evidence problem is
 * printed in on stderr: "llmtrail: KIND: FILE[: MEMBER][: line N]: REASON",
 * evidence text escaped.
 */
#ifndef LLMTRAIL_PIPELINE_CUSTODYRUN_H
#define LLMTRAIL_PIPELINE_CUSTODYRUN_H

#include <stddef.h>
#include <stdint.h>

#include "model/report.h"
#include "store/case.h"

/* Prints one problem line on stderr (when the log level shows errors; a
 * PROBLEM_NOTE when it shows warnings). */
void say_problem(const char *kind, const char *file, const char *member, uint64_t line, const char *reason);

/* Re-checks the evidence of case c (only the paths only[0..nonly) when
 * nonly > 0; files up to hash_max bytes are hashed) and says each issue;
 * missing_only: only evidence that is gone (index, whose walker already says
 * what changed). With r, each issue is also an error problem of the report.
 * Returns the number of issues, -1 after printing a fatal error. */
int64_t custody_say(case_db *c, const char *const *only, size_t nonly, uint64_t hash_max, int missing_only, report *r);

/* custody_say in two steps, so that the re-check (disk reads and SHA-256)
 * can run on another thread than the one that owns the report (scan runs
 * it beside the replay): custody_find only reads c and the disk and keeps
 * copies of the issues (NULL with err set on a fatal error);
 * custody_found_say prints them and adds them to r (when not NULL) as
 * custody_say does, returning their number or -1 after printing a fatal
 * error. */
typedef struct custody_found custody_found;
custody_found *custody_find(case_db *c, const char *const *only, size_t nonly, uint64_t hash_max, int missing_only,
                            lt_error *err) LT_WUR;
int64_t custody_found_say(const custody_found *f, report *r);
void custody_found_free(custody_found *f);

#endif
