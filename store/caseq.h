/*
 * caseq.h — read-only queries of the case for the layers above store/:
 * custody rows for the report, recorded problems, one member's custody for
 * `show`, the CloudTrail members digest verification walks, and the SQLite
 * version for `llmtrail version`. They were SQL in verify.c, scanrun.c,
 * cmd_show.c and version.c (issue 15: store/ sealed, no sqlite3.h outside).
 *
 * Each walk calls fn once per row, in the order stated, and stops at the
 * first status other than LT_OK, which it returns (fn sets err). Strings of
 * a row are valid during the callback only; absent text is "" unless the
 * field says it may be NULL.
 *
 * Failures: LT_EFATAL "case index: <SQLite message>" when a statement cannot
 * be prepared or a step fails.
 */
#ifndef LLMTRAIL_STORE_CASEQ_H
#define LLMTRAIL_STORE_CASEQ_H

#include <stdint.h>

#include "common/error.h"
#include "store/case.h"

/* The SQLite library's version ("3.46.1"). */
const char *caseq_sqlite_version(void);

/* One member's custody as the report shows it. */
typedef struct caseq_custody {
	const char *evidence, *member, *sha256, *content_sha256, *format;
	uint64_t size, events, duplicates, problems;
} caseq_custody;

/* Every member, by evidence path then member path. */
lt_status caseq_each_custody(case_db *c, lt_status (*fn)(void *ctx, const caseq_custody *m, lt_error *err),
                             void *ctx, lt_error *err) LT_WUR;

/* One recorded problem (table problems, docs/case-schema.md). */
typedef struct caseq_problem {
	const char *kind, *file, *member, *reason;
	uint64_t line;
} caseq_problem;

/* Every problem, by file, member, line, then the order recorded. */
lt_status caseq_each_problem(case_db *c, lt_status (*fn)(void *ctx, const caseq_problem *p, lt_error *err),
                             void *ctx, lt_error *err) LT_WUR;

/* The custody of the member holding a record (`show`). evidence_sha256 is
 * NULL when the evidence is a folder; has_content is 0 when the member was
 * stored as found (content_size and content_sha256 then mean nothing). */
typedef struct caseq_member {
	const char *evidence_sha256, *path, *sha256, *content_sha256, *format;
	int64_t size, content_size;
	int has_content;
} caseq_member;

/* Calls fn once when member_id exists, not at all otherwise. */
lt_status caseq_member_custody(case_db *c, int64_t member_id,
                               lt_status (*fn)(void *ctx, const caseq_member *m, lt_error *err), void *ctx,
                               lt_error *err) LT_WUR;

/* A member that is, or may be, CloudTrail (by its name or its format,
 * followed to the copy it duplicates), for digest verification: containers
 * left out, by member id. content_id is the id of the member holding its
 * content (itself unless a duplicate); format and content_sha256 are the
 * content holder's when the member has none of its own. */
typedef struct caseq_ct_member {
	int64_t id, content_id;
	const char *evidence, *path, *name, *format, *content_sha256, *sha256;
} caseq_ct_member;

lt_status caseq_each_cloudtrail_member(case_db *c,
                                       lt_status (*fn)(void *ctx, const caseq_ct_member *m, lt_error *err),
                                       void *ctx, lt_error *err) LT_WUR;

#endif
