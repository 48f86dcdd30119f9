/*
 * gen_digest.h — signed CloudTrail digest files and the public-key listing.
 *
 * What: a gen_signer holds an RSA-2048 key (loaded from PEM, or derived from
 * the seed and saved); it signs digest files the way CloudTrail does (RSA PKCS#1 v1.5 over
 * SHA-256 of the string to sign of DESIGN.md §3, hex-encoded) and writes the
 * key as `aws cloudtrail list-public-keys` prints it. A gen_chain is one
 * (account, region) digest chain: log files are added as they are written,
 * gen_chain_emit writes the hourly digest that lists them and links to the
 * previous digest (hash of its decompressed bytes and its signature).
 * Fingerprint choice: AWS documents digestPublicKeyFingerprint and the
 * Fingerprint of list-public-keys only as the same 32-hex-digit value that
 * selects the key; we define it as hex MD5 of the DER public key (the bytes
 * whose base64 is Value). Verifiers must match it as an opaque string.
 * Ownership: _new/_free pairs; free(NULL) is a no-op.
 */
#ifndef LLMTRAIL_GEN_DIGEST_H
#define LLMTRAIL_GEN_DIGEST_H

#include <stdint.h>

#include "testdata/gen/gen_util.h"

typedef struct gen_signer gen_signer;

/* key_path: PEM private key to use, or NULL to derive one from seed alone
 * (same seed, same key; no system randomness) and save it to save_path. */
gen_signer *gen_signer_new(const char *key_path, const char *save_path, uint64_t seed);
void gen_signer_free(gen_signer *s);
const char *gen_signer_fingerprint(const gen_signer *s);
/* Hex signature of msg. Thread-safe. */
void gen_signer_sign_hex(const gen_signer *s, const char *msg, size_t n, gen_sb *hex);
/* Writes {"PublicKeyList":[{Value, ValidityStartTime, ValidityEndTime, Fingerprint}]}. */
void gen_signer_write_public_keys(const gen_signer *s, const char *path, int64_t start, int64_t end);

typedef struct gen_chain gen_chain;

typedef struct gen_chain_id {
	const char *bucket;
	const char *account;
	const char *region;
	const char *trail;
	const char *home_region;
} gen_chain_id;

gen_chain *gen_chain_new(const gen_chain_id *id);
void gen_chain_free(gen_chain *c);
/* A log file delivered in the current hour (key relative to the bucket). */
void gen_chain_add_log(gen_chain *c, const char *key, const char *sha256_hex, int64_t oldest, int64_t newest);
/*
 * Writes the digest for [start, end) under root (root/<key>), compresses with
 * gz. Appends {"digestS3Object":..,"signature":..} to sig_lines. Returns the
 * compressed size.
 */
size_t gen_chain_emit(gen_chain *c, const gen_signer *s, gen_gz *gz, const char *root, int64_t start,
		      int64_t end, gen_sb *sig_lines);

#endif
