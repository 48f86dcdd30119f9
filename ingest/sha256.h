/*
 * sha256.h — incremental SHA-256 with hex output (custody hashes).
 *
 * A thin wrapper over OpenSSL's EVP interface, so that the SHA extensions of
 * the CPU are used when present. The hex form is 64 lowercase digits plus NUL,
 * the form the case index stores and CloudTrail digest files carry.
 *
 * Ownership: sha256_new returns a context the caller frees with sha256_free
 * (sha256_free(NULL) does nothing). A context can be reused after
 * sha256_final_* by calling sha256_reset.
 *
 * Failures: OpenSSL can fail only on allocation; sha256_new then returns NULL,
 * and a failing update is remembered and reported by sha256_final_* as
 * LT_EFATAL (the output is then all zeros / "" and must not be used).
 */
#ifndef LLMTRAIL_INGEST_SHA256_H
#define LLMTRAIL_INGEST_SHA256_H

#include <stddef.h>

#include "common/error.h"

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64 /* hex digits, without the NUL */

typedef struct sha256_ctx sha256_ctx;

/* A context ready for sha256_update; NULL if out of memory. */
sha256_ctx *sha256_new(void) LT_WUR;
void sha256_free(sha256_ctx *c);
/* Starts a new hash on the same context. LT_OK or LT_EFATAL. */
lt_status sha256_reset(sha256_ctx *c) LT_WUR;
/* Hashes n more bytes (n may be 0, data may then be NULL). */
void sha256_update(sha256_ctx *c, const void *data, size_t n);
/* Finishes the hash. LT_OK, or LT_EFATAL if any step failed. */
lt_status sha256_final(sha256_ctx *c, unsigned char out[SHA256_LEN]) LT_WUR;
lt_status sha256_final_hex(sha256_ctx *c, char out[SHA256_HEX_LEN + 1]) LT_WUR;

/* One-shot: hex SHA-256 of data[0..n). LT_OK or LT_EFATAL. */
lt_status sha256_hex(const void *data, size_t n, char out[SHA256_HEX_LEN + 1]) LT_WUR;
/* Appends to b the abbreviation of t[0..n) that stands for a long value where
 * memory per value must be bounded (correlation groups, first-seen keys, the
 * findings' copies past their budget): its first keep bytes (fewer, not to
 * cut a UTF-8 character), then "...(N bytes, sha256:" and the first 32 hex
 * digits (128 bits) of its SHA-256, then ")". keep must be < n. LT_OK, or
 * LT_EFATAL (hash or b's cap). */
struct buf;
lt_status sha256_abbrev(struct buf *b, const char *t, size_t n, size_t keep) LT_WUR;
#define SHA256_ABBREV_HEX 32

/* Writes the 64-digit lowercase hex of a 32-byte digest, NUL-terminated. */
void sha256_to_hex(const unsigned char digest[SHA256_LEN], char out[SHA256_HEX_LEN + 1]);

#endif
