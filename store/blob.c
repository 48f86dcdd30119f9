/*
 * blob.c — packing member text into stored chunks and back (see blob.h).
 *
 * Most evidence arrives as .json.gz: those bytes are already as small as the
 * evidence and are kept verbatim (one "gzip" chunk), so indexing does not pay
 * for recompression and the stored bytes are exactly the evidence's. Text that
 * arrived uncompressed, and any member larger than BLOB_WHOLE_MAX, is cut in
 * BLOB_CHUNK slices compressed with libdeflate's zlib format; a reader then
 * inflates at most one slice at a time. Decompression knows the exact output
 * length (stored beside the chunk), which lets libdeflate inflate in one call
 * and turns any truncation or size mismatch into an error. Concatenated gzip
 * members (RFC 1952 §2.2) are inflated one after the other.
 */
#include "config.h"

#include "store/blob.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

const char *blob_codec_name(blob_codec c)
{
	return c == BLOB_GZIP ? "gzip" : c == BLOB_ZLIB ? "zlib" : "?";
}

blob_codec blob_codec_from_name(const char *s)
{
	if (s == NULL)
		return (blob_codec)0;
	if (strcmp(s, "gzip") == 0)
		return BLOB_GZIP;
	if (strcmp(s, "zlib") == 0)
		return BLOB_ZLIB;
	return (blob_codec)0;
}

void blob_chunks_free(blob_chunks *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].owned)
			free(c->v[i].data);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

static lt_status pack_zlib(struct libdeflate_compressor *z, const char *text, size_t len, blob_chunk *ch,
                           lt_error *err)
{
	size_t bound = libdeflate_zlib_compress_bound(z, len);
	ch->data = malloc(bound ? bound : 1);
	if (ch->data == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory compressing member");
	ch->owned = 1;
	ch->codec = BLOB_ZLIB;
	ch->size = libdeflate_zlib_compress(z, text, len, ch->data, bound);
	if (ch->size == 0)
		return lt_error_set(err, LT_EFATAL, "zlib compression failed");
	unsigned char *shrunk = realloc(ch->data, ch->size);
	if (shrunk != NULL)
		ch->data = shrunk;
	return LT_OK;
}

lt_status blob_pack(const char *text, size_t len, const unsigned char *gz, size_t gz_len, int level,
                    blob_chunks *out, lt_error *err)
{
	out->v = NULL;
	out->n = 0;
	if (gz != NULL && (uint64_t)len <= BLOB_WHOLE_MAX) {
		out->v = calloc(1, sizeof *out->v);
		if (out->v == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory");
		out->n = 1;
		out->v[0] = (blob_chunk){0, len, BLOB_GZIP, (unsigned char *)(uintptr_t)gz, gz_len, 0};
		return LT_OK;
	}
	size_t nch = len == 0 ? 1 : (len + BLOB_CHUNK - 1) / BLOB_CHUNK;
	out->v = calloc(nch, sizeof *out->v);
	if (out->v == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	struct libdeflate_compressor *z = libdeflate_alloc_compressor(level < 1 ? 1 : level > 12 ? 12 : level);
	if (z == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory (compressor)");
	lt_status st = LT_OK;
	for (size_t i = 0; i < nch && st == LT_OK; i++) {
		size_t off = i * BLOB_CHUNK;
		size_t n = len - off < BLOB_CHUNK ? len - off : BLOB_CHUNK;
		out->v[i].offset = off;
		out->v[i].length = n;
		out->n = i + 1;
		st = pack_zlib(z, text + off, n, &out->v[i], err);
	}
	libdeflate_free_compressor(z);
	if (st != LT_OK)
		blob_chunks_free(out);
	return st;
}

static lt_status unpack_gzip(struct libdeflate_decompressor *d, const unsigned char *data, size_t size, char *out,
                             size_t length, lt_error *err)
{
	size_t in_off = 0, out_off = 0;
	while (in_off < size && out_off < length) {
		size_t used_in = 0, used_out = 0;
		enum libdeflate_result r = libdeflate_gzip_decompress_ex(d, data + in_off, size - in_off, out + out_off,
		                                                         length - out_off, &used_in, &used_out);
		if (r != LIBDEFLATE_SUCCESS)
			return lt_error_set(err, LT_EFILE, "stored gzip content does not inflate (libdeflate %d)", (int)r);
		in_off += used_in;
		out_off += used_out;
		if (used_in == 0)
			break;
	}
	if (out_off != length)
		return lt_error_set(err, LT_EFILE, "stored gzip content inflates to %zu bytes, expected %zu", out_off,
		                    length);
	return LT_OK;
}

lt_status blob_unpack(blob_codec codec, const unsigned char *data, size_t size, char *out, size_t length,
                      lt_error *err)
{
	if (length == 0)
		return LT_OK;
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	if (d == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory (decompressor)");
	lt_status st = LT_OK;
	if (codec == BLOB_GZIP) {
		st = unpack_gzip(d, data, size, out, length, err);
	} else if (codec == BLOB_ZLIB) {
		size_t got = 0;
		enum libdeflate_result r = libdeflate_zlib_decompress(d, data, size, out, length, &got);
		if (r != LIBDEFLATE_SUCCESS || got != length)
			st = lt_error_set(err, LT_EFILE, "stored zlib chunk does not inflate to %zu bytes", length);
	} else {
		st = lt_error_set(err, LT_EFILE, "unknown stored codec %d", (int)codec);
	}
	libdeflate_free_decompressor(d);
	return st;
}
