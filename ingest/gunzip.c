/*
 * gunzip.c — gzip buffer decompression (see gunzip.h). RFC 1952.
 *
 * Fast path: libdeflate decodes one whole member per call into an output
 * buffer sized from the last member's ISIZE trailer (the true size modulo
 * 2^32, so only a hint); when the space is short the buffer doubles and the
 * member is decoded again, bounded by the output limit. Members follow each
 * other until the input ends; trailing zero bytes (tape padding) are accepted.
 *
 * A member whose header carries a CRC (FHCRC) takes the slow path directly:
 * libdeflate does not check that CRC.
 *
 * Slow path: libdeflate only says "bad data". When it does, zlib's streaming
 * inflate re-decodes that member, keeping every byte it can produce, so a
 * truncated or damaged file yields its intact prefix and the compressed offset
 * where the damage was found. A member that zlib decodes fine after all is
 * kept and the fast path resumes with the next one.
 *
 * Limit: min(max_output, max(bomb_min_output, inlen * bomb_max_ratio)); going
 * past it is an error that names which cap was hit and both sizes.
 *
 * Streaming (gunzip_stream): the slow path alone, over every member, into a
 * fixed piece that is drained to a callback whenever it fills; the limit and
 * the messages count the drained bytes too, so results match the buffer path.
 */
#include "ingest/gunzip.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>

/* Output under construction. */
typedef struct outbuf {
	unsigned char *data;
	size_t len;
	size_t cap;
	size_t limit;       /* most bytes data may reach */
	bool ratio_limited; /* limit comes from the bomb ratio, not max_output */
	bool hit_limit;     /* the output needed more than limit bytes */
	sha256_ctx *sha;    /* NULL unless the hash was asked for */
	/* streaming (gunzip_stream): data is a fixed piece, drained to write
	 * whenever it is full; flushed counts the bytes drained before it */
	gunzip_write_fn write;
	void *ctx;
	size_t flushed;
} outbuf;

/* Bytes that may still be written: up to the allocation, never past the limit
 * (a reused buffer can be larger than this member's limit). */
static size_t space(const outbuf *o)
{
	size_t room = o->limit - o->flushed;
	size_t end = o->cap < room ? o->cap : room;
	return end > o->len ? end - o->len : 0;
}

void gunzip_options_init(gunzip_options *o)
{
	o->max_output = GUNZIP_DEFAULT_MAX_OUTPUT;
	o->bomb_min_output = GUNZIP_DEFAULT_BOMB_MIN_OUTPUT;
	o->bomb_max_ratio = GUNZIP_DEFAULT_BOMB_MAX_RATIO;
	o->want_sha256 = false;
}

bool gunzip_is_gzip(const void *data, size_t len)
{
	const unsigned char *p = data;
	return len >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 0x08;
}

void gunzip_result_free(gunzip_result *res)
{
	if (res == NULL)
		return;
	free(res->data);
	res->data = NULL;
	res->len = 0;
	res->cap = 0;
	res->members = 0;
	res->sha256[0] = '\0';
}

static void compute_limit(outbuf *o, size_t inlen, const gunzip_options *opt)
{
	size_t max_output = opt->max_output != 0 ? opt->max_output : GUNZIP_DEFAULT_MAX_OUTPUT;
	o->limit = max_output;
	o->ratio_limited = false;
	if (opt->bomb_max_ratio == 0)
		return;
	size_t by_ratio = inlen > SIZE_MAX / opt->bomb_max_ratio ? SIZE_MAX
		: inlen * opt->bomb_max_ratio;
	if (by_ratio < opt->bomb_min_output)
		by_ratio = opt->bomb_min_output;
	if (by_ratio < o->limit) {
		o->limit = by_ratio;
		o->ratio_limited = true;
	}
}

/* Initial capacity: the last member's ISIZE, else 4x the input, within the limit. */
static size_t size_hint(const unsigned char *in, size_t inlen)
{
	size_t hint = 0;
	if (inlen >= 18)
		hint = (size_t)in[inlen - 4] | (size_t)in[inlen - 3] << 8 |
			(size_t)in[inlen - 2] << 16 | (size_t)in[inlen - 1] << 24;
	if (hint == 0)
		hint = inlen > SIZE_MAX / 4 ? SIZE_MAX : inlen * 4;
	return hint < 64 ? 64 : hint;
}

static lt_status over_limit(outbuf *o, size_t inlen, lt_error *err)
{
	o->hit_limit = true;
	if (o->ratio_limited)
		return lt_error_set(err, LT_EFILE,
			"decompression bomb: more than %zu bytes of output from %zu compressed bytes "
			"(ratio over %zu:1)", o->limit, inlen, inlen > 0 ? o->limit / inlen : o->limit);
	return lt_error_set(err, LT_EFILE,
		"gzip output larger than the limit of %zu bytes (from %zu compressed bytes)",
		o->limit, inlen);
}

/* Streaming: hands the full piece to the writer and starts it again, unless
 * the limit is reached (limit counts all bytes, drained or not). */
static lt_status drain(outbuf *o, size_t inlen, lt_error *err)
{
	if (o->flushed + o->len >= o->limit)
		return over_limit(o, inlen, err);
	if (o->sha != NULL)
		sha256_update(o->sha, o->data, o->len);
	lt_status st = o->len > 0 ? o->write(o->ctx, o->data, o->len, err) : LT_OK;
	o->flushed += o->len;
	o->len = 0;
	return st;
}

/* Grows the output so that at least one more byte fits.
 * LT_OK, LT_EFILE at the limit, LT_EFATAL out of memory. */
static lt_status grow(outbuf *o, size_t inlen, lt_error *err)
{
	if (o->write != NULL)
		return drain(o, inlen, err);
	if (o->cap >= o->limit)
		return over_limit(o, inlen, err);
	size_t want = o->cap > o->limit / 2 ? o->limit : o->cap * 2;
	if (want < o->cap + 4096)
		want = o->cap + 4096 < o->limit ? o->cap + 4096 : o->limit;
	unsigned char *p = realloc(o->data, want);
	if (p == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory growing gzip output to %zu bytes", want);
	o->data = p;
	o->cap = want;
	return LT_OK;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static void append_hash(outbuf *o, size_t from)
{
	if (o->sha != NULL && o->write == NULL) /* streaming: drain() hashes */
		sha256_update(o->sha, o->data + from, o->len - from);
}

/* zlib's inflate over one member at in[pos..]; on success *used is its length.
 * LT_OK (member complete), LT_EITEM (damage: err filled, offset set),
 * LT_EFILE (limit), LT_EFATAL. */
static lt_status zlib_member(const unsigned char *in, size_t inlen, size_t pos, outbuf *o,
	size_t *used, lt_error *err)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return lt_error_set(err, LT_EFATAL, "out of memory starting zlib inflate");
	size_t consumed = 0, start = o->len;
	lt_status st = LT_OK;
	for (;;) {
		if (space(o) == 0 && (st = grow(o, inlen, err)) != LT_OK)
			break;
		size_t in_avail = inlen - pos - consumed, out_avail = space(o);
		z.next_in = (Bytef *)(uintptr_t)(in + pos + consumed);
		z.avail_in = in_avail > UINT_MAX ? UINT_MAX : (uInt)in_avail;
		z.next_out = o->data + o->len;
		z.avail_out = out_avail > UINT_MAX ? UINT_MAX : (uInt)out_avail;
		uInt in_before = z.avail_in, out_before = z.avail_out;
		int rc = inflate(&z, Z_NO_FLUSH);
		consumed += in_before - z.avail_in;
		o->len += out_before - z.avail_out;
		if (rc == Z_STREAM_END) {
			*used = consumed;
			break;
		}
		if (rc == Z_OK || (rc == Z_BUF_ERROR && z.avail_out == 0))
			continue;
		size_t at = pos + consumed;
		if (rc == Z_MEM_ERROR) {
			st = lt_error_set(err, LT_EFATAL, "out of memory in zlib inflate");
		} else if (rc == Z_BUF_ERROR) {
			st = lt_error_set(err, LT_EITEM,
				"truncated gzip: %zu bytes recovered before offset %zu", o->flushed + o->len, at);
		} else {
			st = lt_error_set(err, LT_EITEM,
				"corrupt gzip (%s): %zu bytes recovered before offset %zu",
				z.msg != NULL ? z.msg : "bad data", o->flushed + o->len, at);
		}
		if (err != NULL)
			err->offset = at;
		break;
	}
	inflateEnd(&z);
	if (st == LT_OK || st == LT_EITEM)
		append_hash(o, start);
	return st;
}

/* libdeflate over one member at in[pos..]. LT_OK with *used set; LT_EITEM if
 * libdeflate rejects the data (the caller falls back to zlib); LT_EFILE, LT_EFATAL. */
static lt_status fast_member(struct libdeflate_decompressor *d, const unsigned char *in,
	size_t inlen, size_t pos, outbuf *o, size_t *used, lt_error *err)
{
	for (;;) {
		size_t ain = 0, aout = 0;
		enum libdeflate_result r = libdeflate_gzip_decompress_ex(d, in + pos, inlen - pos,
			o->data + o->len, space(o), &ain, &aout);
		if (r == LIBDEFLATE_SUCCESS) {
			size_t start = o->len;
			o->len += aout;
			*used = ain;
			append_hash(o, start);
			return LT_OK;
		}
		if (r != LIBDEFLATE_INSUFFICIENT_SPACE)
			return LT_EITEM;
		/* At the limit libdeflate cannot tell more output from damage it has
		 * not reached (a corrupt block header read as a long stored block
		 * asks for space too): zlib decides, as the stream path does. */
		if (o->cap >= o->limit)
			return LT_EITEM;
		lt_status st = grow(o, inlen, err);
		if (st != LT_OK)
			return st;
	}
}

/* FLG.FHCRC (RFC 1952 2.3.1): libdeflate skips the header CRC without
 * checking it, zlib checks it; such members (rare: gzip(1) never writes one)
 * go to zlib so that both paths judge a damaged header alike. */
static bool has_header_crc(const unsigned char *p, size_t n)
{
	return n > 3 && (p[3] & 0x02) != 0;
}

static lt_status decode_members(const unsigned char *in, size_t inlen, outbuf *o,
	unsigned *members, lt_error *err)
{
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	if (d == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory allocating a decompressor");
	lt_status st = LT_OK;
	size_t pos = 0;
	if (inlen == 0)
		st = lt_error_set(err, LT_EFILE, "not gzip data (empty input)");
	while (st == LT_OK && pos < inlen) {
		if (!gunzip_is_gzip(in + pos, inlen - pos)) {
			if (*members > 0 && all_zero(in + pos, inlen - pos))
				break;
			if (*members == 0) {
				st = lt_error_set(err, LT_EFILE, "not gzip data (no gzip header)");
			} else {
				st = lt_error_set(err, LT_EITEM,
					"trailing garbage after gzip data at offset %zu ignored", pos);
			}
			if (err != NULL)
				err->offset = pos;
			break;
		}
		size_t used = 0;
		st = o->write != NULL || has_header_crc(in + pos, inlen - pos) ? LT_EITEM
			: fast_member(d, in, inlen, pos, o, &used, err);
		if (st == LT_EITEM)
			st = zlib_member(in, inlen, pos, o, &used, err);
		if (st != LT_OK)
			break;
		(*members)++;
		pos += used;
	}
	libdeflate_free_decompressor(d);
	return st;
}

/* On failure: keep the buffer for the next call (reuse) or free it. */
static void drop_output(gunzip_result *res, outbuf *o, bool reuse)
{
	res->len = 0;
	res->members = 0;
	res->sha256[0] = '\0';
	if (reuse) {
		res->data = o->data;
		res->cap = o->cap;
	} else {
		free(o->data);
		res->data = NULL;
		res->cap = 0;
	}
}

/* Takes res->data as the output buffer when reusing and it is big enough. */
static bool start_output(gunzip_result *res, outbuf *o, size_t want, bool reuse)
{
	if (reuse && res->data != NULL && res->cap >= want) {
		o->data = res->data;
		o->cap = res->cap;
	} else {
		if (reuse)
			free(res->data);
		o->cap = want;
		o->data = malloc(want);
	}
	res->data = NULL;
	res->cap = 0;
	res->len = 0;
	res->members = 0;
	res->sha256[0] = '\0';
	return o->data != NULL;
}

static lt_status run(const void *in, size_t inlen, const gunzip_options *opt,
	gunzip_result *res, bool reuse, lt_error *err)
{
	gunzip_options defaults;
	if (opt == NULL) {
		gunzip_options_init(&defaults);
		opt = &defaults;
	}
	outbuf o = {0};
	compute_limit(&o, inlen, opt);
	size_t want = size_hint(in, inlen);
	if (want > o.limit)
		want = o.limit > 0 ? o.limit : 1;
	if (!start_output(res, &o, want, reuse))
		return lt_error_set(err, LT_EFATAL, "out of memory allocating %zu bytes", want);
	if (opt->want_sha256 && (o.sha = sha256_new()) == NULL) {
		drop_output(res, &o, reuse);
		return lt_error_set(err, LT_EFATAL, "out of memory starting SHA-256");
	}
	lt_status st = decode_members(in, inlen, &o, &res->members, err);
	if (st == LT_EITEM && o.len == 0 && res->members == 0)
		st = err != NULL ? (err->status = LT_EFILE) : LT_EFILE;
	if ((st == LT_OK || st == LT_EITEM) && o.sha != NULL &&
	    sha256_final_hex(o.sha, res->sha256) != LT_OK)
		st = lt_error_set(err, LT_EFATAL, "SHA-256 failed");
	sha256_free(o.sha);
	res->over_max_output = st == LT_EFILE && o.hit_limit && !o.ratio_limited;
	if (st == LT_EFILE || st == LT_EFATAL) {
		drop_output(res, &o, reuse);
		return st;
	}
	if (!reuse && o.cap - o.len > o.cap / 8 + 4096) {
		unsigned char *p = realloc(o.data, o.len > 0 ? o.len : 1);
		if (p != NULL) {
			o.data = p;
			o.cap = o.len > 0 ? o.len : 1;
		}
	}
	res->data = o.data;
	res->cap = o.cap;
	res->len = o.len;
	return st;
}

lt_status gunzip_buffer(const void *in, size_t inlen, const gunzip_options *opt,
	gunzip_result *res, lt_error *err)
{
	res->data = NULL;
	res->cap = 0;
	return run(in, inlen, opt, res, false, err);
}

lt_status gunzip_buffer_reuse(const void *in, size_t inlen, const gunzip_options *opt,
	gunzip_result *res, lt_error *err)
{
	return run(in, inlen, opt, res, true, err);
}

lt_status gunzip_stream(const void *in, size_t inlen, const gunzip_options *opt, gunzip_write_fn write,
	void *ctx, gunzip_result *res, lt_error *err)
{
	gunzip_options defaults;
	if (opt == NULL) {
		gunzip_options_init(&defaults);
		opt = &defaults;
	}
	memset(res, 0, sizeof *res);
	outbuf o = {0};
	compute_limit(&o, inlen, opt);
	o.write = write;
	o.ctx = ctx;
	o.cap = GUNZIP_STREAM_PIECE;
	o.data = malloc(o.cap);
	if (o.data == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory allocating %zu bytes", o.cap);
	if (opt->want_sha256 && (o.sha = sha256_new()) == NULL) {
		free(o.data);
		return lt_error_set(err, LT_EFATAL, "out of memory starting SHA-256");
	}
	lt_status st = decode_members(in, inlen, &o, &res->members, err);
	if (st == LT_EITEM && o.flushed + o.len == 0 && res->members == 0)
		st = err != NULL ? (err->status = LT_EFILE) : LT_EFILE;
	if (st == LT_OK || st == LT_EITEM) {
		lt_error e2;
		lt_status wst = LT_OK;
		if (o.sha != NULL)
			sha256_update(o.sha, o.data, o.len);
		if (o.len > 0 && (wst = write(ctx, o.data, o.len, st == LT_OK ? err : &e2)) != LT_OK) {
			if (st != LT_OK && err != NULL)
				*err = e2;
			st = wst;
		}
		o.flushed += o.len;
	}
	if ((st == LT_OK || st == LT_EITEM) && o.sha != NULL && sha256_final_hex(o.sha, res->sha256) != LT_OK)
		st = lt_error_set(err, LT_EFATAL, "SHA-256 failed");
	sha256_free(o.sha);
	free(o.data);
	res->over_max_output = st == LT_EFILE && o.hit_limit && !o.ratio_limited;
	if (st == LT_EFILE || st == LT_EFATAL) {
		res->members = 0;
		res->sha256[0] = '\0';
		return st;
	}
	res->len = o.flushed;
	return st;
}
