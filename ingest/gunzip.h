/*
 * gunzip.h — whole-buffer gzip decompression with caps and damage recovery.
 *
 * Evidence members arrive as whole buffers (see walk.h), so decompression is
 * buffer-to-buffer: libdeflate for speed, member after member (RFC 1952 allows
 * concatenated members), and zlib's streaming inflate as the fallback that
 * recovers every byte before a truncation or corruption.
 *
 * Caps (gunzip_options): the output never exceeds max_output (default 4 GiB),
 * and an output over bomb_min_output (64 MiB) whose ratio to the compressed
 * size exceeds bomb_max_ratio (1000:1) is refused as a decompression bomb.
 * Both are enforced while decompressing, so a bomb costs at most the cap.
 *
 * Ownership: on LT_OK and LT_EITEM, res->data is malloc'd and the caller frees
 * it (free() or gunzip_result_free); it is never NULL then, even for an empty
 * output. On LT_EFILE and LT_EFATAL res->data is NULL and res->len 0.
 * gunzip_buffer_reuse instead keeps res->data from call to call (a worker
 * decoding many members avoids re-faulting a fresh buffer each time: about 2x
 * on large members); then res->data survives failures and is freed once, by
 * gunzip_result_free.
 *
 * Returns:
 *   LT_OK     every member decompressed; trailing zero padding is accepted.
 *   LT_EITEM  damaged input (truncated, corrupt, bad CRC, trailing garbage):
 *             res holds what was recovered before the damage and
 *             err->offset is the COMPRESSED byte offset where the damage was
 *             found; err->msg says "truncated gzip: N bytes recovered before
 *             offset M" (or "corrupt gzip (reason): ...").
 *   LT_EFILE  not gzip, nothing recoverable, over max_output, or a bomb
 *             (the message names the output and compressed sizes).
 *   LT_EFATAL out of memory.
 * err may be NULL. Thread-safe: no shared state.
 */
#ifndef LLMTRAIL_INGEST_GUNZIP_H
#define LLMTRAIL_INGEST_GUNZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "ingest/sha256.h"

#define GUNZIP_DEFAULT_MAX_OUTPUT ((size_t)4 << 30)     /* 4 GiB */
#define GUNZIP_DEFAULT_BOMB_MIN_OUTPUT ((size_t)64 << 20) /* 64 MiB */
#define GUNZIP_DEFAULT_BOMB_MAX_RATIO 1000u

typedef struct gunzip_options {
	size_t max_output;       /* most output bytes; 0 = GUNZIP_DEFAULT_MAX_OUTPUT */
	size_t bomb_min_output;  /* the ratio test applies past this many output bytes */
	unsigned bomb_max_ratio; /* output/input ratio refused past bomb_min_output; 0 = no ratio test */
	bool want_sha256;        /* fill res->sha256 with the hash of the output */
} gunzip_options;

typedef struct gunzip_result {
	unsigned char *data; /* malloc'd output; the caller frees it */
	size_t len;
	size_t cap;          /* bytes allocated at data */
	unsigned members;    /* gzip members decoded completely */
	char sha256[SHA256_HEX_LEN + 1]; /* of data[0..len) if want_sha256, else "" */
	bool over_max_output; /* LT_EFILE because the output passed max_output (not a bomb) */
} gunzip_result;

/* Defaults: 4 GiB, 64 MiB, 1000:1, no hash. */
void gunzip_options_init(gunzip_options *o);

/* True if data starts like a gzip member (1f 8b 08). */
bool gunzip_is_gzip(const void *data, size_t len);

/* Decompresses in[0..inlen) into res (see the contract above). opt may be NULL
 * for the defaults. res is always initialised. */
lt_status gunzip_buffer(const void *in, size_t inlen, const gunzip_options *opt,
	gunzip_result *res, lt_error *err) LT_WUR;

/* The same, reusing res->data/res->cap from a previous call (res must start
 * zeroed, {0}, or from gunzip_buffer / gunzip_buffer_reuse). On LT_EFILE and
 * LT_EFATAL res->len is 0 and res->data is kept for the next call. */
lt_status gunzip_buffer_reuse(const void *in, size_t inlen, const gunzip_options *opt,
	gunzip_result *res, lt_error *err) LT_WUR;

/*
 * Streaming form, for members too large to hold: the output goes to
 * write(ctx, bytes, n, err) in pieces of at most GUNZIP_STREAM_PIECE bytes
 * instead of a buffer, so memory stays constant. Every member is inflated by
 * zlib, exactly as the damage-recovery path of gunzip_buffer does, so the
 * output, the caps and the returns (status, message, err->offset) are those
 * of gunzip_buffer on the same input. res->data stays NULL; res->len is the
 * total output. A write returning other than LT_OK stops and is returned.
 */
#define GUNZIP_STREAM_PIECE ((size_t)1 << 20)
typedef lt_status (*gunzip_write_fn)(void *ctx, const unsigned char *p, size_t n, lt_error *err);
lt_status gunzip_stream(const void *in, size_t inlen, const gunzip_options *opt, gunzip_write_fn write,
	void *ctx, gunzip_result *res, lt_error *err) LT_WUR;

/* Frees res->data and empties res. res may be NULL. */
void gunzip_result_free(gunzip_result *res);

#endif
