/*
 * custody.h — is the evidence on disk still what the case recorded?
 * (issue 22 #8: custody is live; docs/case-schema.md "Custody re-checks").
 *
 * custody_check walks the evidence rows of a case and compares the disk with
 * them: an evidence path that is gone is "missing"; a file (or a file found
 * under a recorded folder, by its member path) whose size differs, or whose
 * SHA-256 differs when it is at most hash_max bytes, is "changed"; a file
 * recorded under a folder that is no longer there is "missing". Members
 * inside archives are covered by their archive (the first component of the
 * member path that is a file on disk). custody_check_member does the same
 * for the one file holding a member, hashing it up to hash_max bytes (show).
 *
 * Ownership: strings of a custody_issue are valid during the callback only.
 * Failures: LT_EFATAL on SQL errors or out of memory; disk errors other than
 * "not there" are issues ("changed: cannot read: ...").
 */
#ifndef LLMTRAIL_STORE_CUSTODY_H
#define LLMTRAIL_STORE_CUSTODY_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "store/case.h"

#define CUSTODY_HASH_MAX ((uint64_t)64 << 20) /* files hashed by scan and verify, at most */

typedef struct custody_issue {
	const char *kind;     /* "missing" or "changed" */
	const char *evidence; /* evidence path as recorded */
	const char *member;   /* member path under a folder, "" for the evidence file itself */
	const char *reason;
} custody_issue;

typedef lt_status (*custody_fn)(void *ctx, const custody_issue *i, lt_error *err);

/* Only the evidence paths in only[0..nonly) when nonly > 0. *issues counts them. */
lt_status custody_check(case_db *c, const char *const *only, size_t nonly, uint64_t hash_max, custody_fn fn,
                        void *ctx, uint64_t *issues, lt_error *err) LT_WUR;

/* The file on disk holding member_id (the evidence file, the member's own file
 * under a folder, or the archive it is in): *issue 1 with kind/reason set
 * (static or in reason[]) when it is gone or differs from what was recorded. */
lt_status custody_check_member(case_db *c, int64_t member_id, uint64_t hash_max, int *issue, const char **kind,
                               char *reason, size_t reason_cap, lt_error *err) LT_WUR;

#endif
