/*
 * verify.h — CloudTrail digest verification over a case (DESIGN.md §3
 * "CloudTrail digest files", docs/integrity.md).
 *
 * verify_case reads every digest stored in the case, groups them into chains
 * (one per account/region/trail/home region, ordered by digestEndTime) and
 * checks, producing one row per check:
 *   - each log file a digest lists is in the evidence (matched by S3 key:
 *     the member's "evidence path/member path" ends with logFiles[].s3Object;
 *     failing that, a single member with the same file name) and the SHA-256
 *     of its decompressed content (recorded at indexing) equals hashValue;
 *   - previousDigestHashValue equals the SHA-256 of the previous digest's
 *     decompressed bytes, and previousDigestS3Object names the digest that
 *     precedes it (else: a chain gap, a fork or a restart);
 *   - each digest's signature (RSA PKCS#1 v1.5 + SHA-256 over the string to
 *     sign) verifies with the public key whose Fingerprint equals
 *     digestPublicKeyFingerprint. The signature of digest N is taken from
 *     digest N+1's previousDigestSignature; the newest digest's own signature
 *     lives in S3 object metadata and is unverifiable unless supplied
 *     (verify_keys_load accepts a JSON Lines file of
 *     {"digestS3Object","signature"} for that);
 *   - the digest was found where digestS3Object says (else: moved);
 *   - every CloudTrail log file in the evidence is listed by some digest
 *     (unlisted files inside the time the digests cover are invalid; outside
 *     it, unverifiable).
 *
 * Ownership: verify_keys and verify_result are opaque, the caller frees them
 * (free(NULL) is a no-op); rows and their strings live in the result.
 * Failures: LT_EFATAL for SQL errors or out of memory; a digest that cannot
 * be read or parsed is a row (invalid), not a failure. verify_keys_load:
 * LT_EFILE when the file cannot be read or is neither shape.
 */
#ifndef LLMTRAIL_ANALYZERS_VERIFY_H
#define LLMTRAIL_ANALYZERS_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "model/report.h"
#include "store/case.h"

/* Largest key or signature file read (bytes), and digest document stored. */
#define VERIFY_MAX_KEYFILE ((size_t)16 << 20)
#define VERIFY_MAX_DIGEST ((size_t)256 << 20)

typedef struct verify_keys verify_keys;

verify_keys *verify_keys_new(void) LT_WUR;
void verify_keys_free(verify_keys *k);
/* Adds keys from `aws cloudtrail list-public-keys` JSON, or digest
 * signatures from JSON Lines {"digestS3Object": KEY, "signature": HEX}
 * (decided by content). */
lt_status verify_keys_load(verify_keys *k, const char *path, lt_error *err) LT_WUR;
lt_status verify_keys_load_text(verify_keys *k, const char *text, size_t n, const char *name,
                                lt_error *err) LT_WUR;
size_t verify_keys_count(const verify_keys *k);       /* public keys loaded */
size_t verify_keys_signatures(const verify_keys *k);  /* digest signatures supplied */

/* What went wrong, for findings; VERIFY_P_NONE when the row is fine. */
typedef enum verify_problem {
	VERIFY_P_NONE = 0,
	VERIFY_P_LOGFILE_ALTERED,   /* hash differs: critical */
	VERIFY_P_LOGFILE_MISSING,   /* listed, not in the evidence: high */
	VERIFY_P_LOGFILE_UNLISTED,  /* in the evidence, in no digest covering its time: high */
	VERIFY_P_DIGEST_SIGNATURE,  /* signature does not verify: critical */
	VERIFY_P_DIGEST_ALTERED,    /* previousDigestHashValue mismatch: critical */
	VERIFY_P_DIGEST_UNREADABLE, /* a digest that does not parse: high */
	VERIFY_P_CHAIN_GAP,         /* previous digest missing or chain forks: high */
	VERIFY_P_CHAIN_RESTART,     /* a digest without previous inside a chain: medium */
	VERIFY_P_DIGEST_MOVED,      /* found elsewhere than digestS3Object: medium */
	VERIFY_P_COUNT
} verify_problem;

typedef struct verify_row {
	const char *chain;    /* "<acct>_CloudTrail-Digest_<region>_<trail>_<home>"; "" for unlisted files */
	const char *kind;     /* "digest" or "logfile" */
	const char *object;   /* S3 key of the digest or log file */
	const char *check;    /* "signature", "previous digest", "location", "hash", "listed" */
	rpt_check status;
	const char *detail;
	const char *evidence; /* where the object was found; NULL if not found */
	const char *member;
	int64_t time_us;      /* digest end, or the log file's newest event (-1 unknown) */
	verify_problem problem;
} verify_row;

typedef struct verify_summary {
	size_t chains, digests, digests_valid, digests_invalid, digests_unverifiable;
	size_t logfiles_listed, logfiles_valid, logfiles_altered, logfiles_missing;
	size_t logfiles_unlisted, logfiles_uncovered;
	size_t problems[VERIFY_P_COUNT];
	int64_t first_us, last_us; /* time the digests cover; -1 if none */
} verify_summary;

typedef struct verify_result verify_result;

/* keys may be NULL (signatures are then unverifiable). */
lt_status verify_case(case_db *c, const verify_keys *keys, verify_result **out, lt_error *err) LT_WUR;

/* Told, after each digest, how far a phase is: "digests read" (the digest
 * files read from the evidence and parsed), then "digests checked" (their
 * chain, signature and listed log files' hashes). */
typedef void (*verify_progress_fn)(void *ctx, const char *phase, uint64_t done, uint64_t total);
/* verify_case, telling fn (may be NULL) how far it is. */
lt_status verify_case_progress(case_db *c, const verify_keys *keys, verify_progress_fn fn, void *ctx,
                               verify_result **out, lt_error *err) LT_WUR;
void verify_result_free(verify_result *v);

size_t verify_nrows(const verify_result *v);
const verify_row *verify_row_at(const verify_result *v, size_t i);
const verify_summary *verify_get_summary(const verify_result *v);
/* Worst status over all rows: invalid > unverifiable > valid (valid if none). */
rpt_check verify_overall(const verify_result *v);

/* One integrity row per check (report_add_integrity) and one builtin finding
 * per problem (llmtrail-integrity-* rules; all rules added, so a clean chain
 * shows as passed controls, and as not applicable when the case holds no
 * digest). */
lt_status verify_add_to_report(const verify_result *v, report *r, lt_error *err) LT_WUR;

/* Output of `llmtrail verify`: "table" (escaped for a terminal) or "json". */
lt_status verify_write(const verify_result *v, const char *format, buf *out) LT_WUR;

#endif
