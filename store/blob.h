/*
 * blob.h — how member content is kept in the case index (compressed chunks).
 *
 * A member's decompressed text is stored as one or more chunks, each covering
 * [offset, offset+length) of that text:
 *   - "gzip": the member's original gzip bytes, kept as found (no recompression),
 *     used when the member arrived gzip-compressed and is at most
 *     BLOB_WHOLE_MAX bytes decompressed: one chunk covers the whole text;
 *   - "zlib": our own zlib (RFC 1950) compression of a slice of the text, used
 *     for members that arrived uncompressed and for very large members, cut in
 *     slices of BLOB_CHUNK bytes so a reader never inflates more than that at once.
 *
 * blob_pack allocates chunk data with malloc; the caller frees it with
 * blob_chunks_free. blob_unpack inflates one chunk into a caller buffer of
 * exactly the chunk's length. Both are thread-safe (no shared state).
 */
#ifndef LLMTRAIL_STORE_BLOB_H
#define LLMTRAIL_STORE_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define BLOB_WHOLE_MAX ((uint64_t)64 << 20)
#define BLOB_CHUNK ((size_t)16 << 20)

typedef enum blob_codec { BLOB_GZIP = 1, BLOB_ZLIB = 2 } blob_codec;

typedef struct blob_chunk {
	uint64_t offset; /* in the decompressed text */
	uint64_t length; /* decompressed bytes */
	blob_codec codec;
	unsigned char *data; /* compressed bytes (malloc'd, or borrowed when owned == 0) */
	size_t size;
	int owned;
} blob_chunk;

typedef struct blob_chunks {
	blob_chunk *v;
	size_t n;
} blob_chunks;

/*
 * Packs text[0..len). gz/gz_len: the member's original gzip bytes, or NULL.
 * When they are used, the chunk borrows gz (owned == 0): keep gz alive until
 * the chunks are stored. level: zlib level 1..12 (libdeflate). LT_EFATAL on
 * out of memory.
 */
lt_status blob_pack(const char *text, size_t len, const unsigned char *gz, size_t gz_len, int level,
                    blob_chunks *out, lt_error *err) LT_WUR;
void blob_chunks_free(blob_chunks *c);

/* Inflates data[0..size) (codec) into out[0..length). LT_EFILE if the bytes do
 * not inflate to exactly length bytes. */
lt_status blob_unpack(blob_codec codec, const unsigned char *data, size_t size, char *out, size_t length,
                      lt_error *err) LT_WUR;

const char *blob_codec_name(blob_codec c); /* "gzip", "zlib" */
blob_codec blob_codec_from_name(const char *s); /* 0 if unknown */

#endif
