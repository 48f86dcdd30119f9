/*
 * digestfile.h — CloudTrail digest files parsed into a struct (DESIGN.md §3
 * "CloudTrail digest files"), for digest verification.
 *
 * digestfile_parse reads a parsed digest document, checks every field the
 * verification needs and hands back typed values. It verifies nothing
 * cryptographic: hashes and signatures are decoded from hex, not checked.
 *
 * Ownership: string slices point into doc (and so into the text/arena it was
 * parsed from); the logFiles array is allocated in the arena passed in. Both
 * must outlive the digestfile.
 *
 * Validation errors are LT_EITEM with a message that names the field, e.g.
 * "digest field logFiles[2].hashValue: expected 64 hex digits".
 * The string to sign needs digestEndTime exactly as written: end_time keeps
 * the original text. Absent times are -1; absent strings are empty slices.
 */
#ifndef LLMTRAIL_INGEST_DIGESTFILE_H
#define LLMTRAIL_INGEST_DIGESTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "ingest/event.h"
#include "ingest/json.h"

#define DIGEST_SHA256_LEN 32
/* Most logFiles entries accepted in one digest (an hour of one region). */
#define DIGEST_MAX_LOGFILES 100000u
/* Longest signature accepted, in bytes (RSA-4096 is 512). */
#define DIGEST_MAX_SIG 1024u

typedef struct digest_logfile {
	ev_str s3_bucket;
	ev_str s3_object;
	ev_str hash_value;     /* hex, as written */
	ev_str hash_algorithm; /* "SHA-256" */
	uint8_t hash[DIGEST_SHA256_LEN]; /* decoded hash_value */
	int64_t oldest_event_us;         /* -1 if absent */
	int64_t newest_event_us;
} digest_logfile;

typedef struct digestfile {
	ev_str aws_account_id;
	ev_str start_time; /* digestStartTime as written */
	ev_str end_time;   /* digestEndTime as written (line 1 of the string to sign) */
	int64_t start_us;
	int64_t end_us;
	ev_str s3_bucket;  /* digestS3Bucket */
	ev_str s3_object;  /* digestS3Object */
	ev_str public_key_fingerprint; /* hex */
	ev_str signature_algorithm;    /* "SHA256withRSA" */
	int64_t oldest_event_us; /* -1 if absent (no events in the period) */
	int64_t newest_event_us;

	bool has_previous; /* false for the first digest of a trail (fields null) */
	ev_str previous_s3_bucket;
	ev_str previous_s3_object;
	ev_str previous_hash_value; /* hex */
	ev_str previous_hash_algorithm;
	ev_str previous_signature;  /* hex, as written */
	uint8_t previous_hash[DIGEST_SHA256_LEN];
	uint8_t *previous_sig;      /* decoded previous_signature (arena) */
	size_t previous_sig_len;

	digest_logfile *log_files; /* arena */
	size_t n_log_files;
} digestfile;

/* True if doc looks like a digest (digestStartTime, digestEndTime and logFiles). */
bool digestfile_is_digest(const json_value *doc);

/* Parses and validates doc into *out. LT_OK, or LT_EITEM naming the field
 * (out partly filled), or LT_EITEM "out of memory" when the arena is full. */
lt_status digestfile_parse(const json_value *doc, arena *a, digestfile *out, lt_error *err) LT_WUR;

#endif
