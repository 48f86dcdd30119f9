/*
 * outpath.h — where llmtrail may write: output folders and case files are
 * never inside the evidence (issue 22: `analyze DIR -o DIR` wrote the case
 * and reports into the evidence, and the next run indexed them), and an
 * output folder is created with its missing parents.
 *
 * Paths are compared after resolving symlinks, `.` and `..`: the part of a
 * path that exists is resolved with realpath(3), the part that does not yet
 * exist is appended lexically (it cannot hold a symlink).
 *
 * Failures: outpath_check returns LT_EXIT_USAGE after printing why;
 * outpath_mkdirs returns -1 with errno set.
 */
#ifndef LLMTRAIL_PIPELINE_OUTPATH_H
#define LLMTRAIL_PIPELINE_OUTPATH_H

#include <stddef.h>

/* 0 if out (a folder or file llmtrail will write) is outside every evidence
 * path; else prints "llmtrail: WHAT PATH is inside the evidence EVIDENCE ..."
 * on stderr and returns LT_EXIT_USAGE. Evidence that does not exist is skipped
 * (index reports it). */
int outpath_check(const char *what, const char *out, const char *const *evidence, size_t n);

/* outpath_check against the evidence paths recorded in the case at
 * case_path (`scan`); 0 when the case cannot be read (scan then says why). */
int outpath_check_case(const char *what, const char *out, const char *case_path);

/* `analyze -o DIR` on a folder that already holds a case: 0 when case_path
 * does not exist or every evidence path it records is one of evidence[0..n)
 * or inside one (re-running the same investigation adds only what is new);
 * else prints which recorded evidence is foreign and returns LT_EXIT_USAGE
 * (`--append` skips this check to add evidence on purpose). */
int outpath_check_same_case(const char *case_path, const char *const *evidence, size_t n);

/* mkdir -p: creates dir and its missing parents (mode 0777 before umask).
 * 0 on success or when it already is a folder; -1 with errno otherwise. */
int outpath_mkdirs(const char *dir);

#endif
