/*
 * evblock.c — event header blocks (see evblock.h): columnar, varint, DEFLATE.
 *
 * Blob (all integers little-endian; varint = LEB128, at most 10 bytes):
 *   "LTEB" | version 0x01 | varint rows (1..8192) | varint plen (<= 64 MiB)
 *   | varint rawlen (16 x rows of uid kind 2) | u32 CRC-32 of raw then payload
 *   | raw: the packed uid UUIDs, in row order, stored as is (random bytes:
 *     DEFLATE cannot shrink them, only spend time on them)
 *   | raw DEFLATE stream of the payload (to the end of the blob)
 * Payload: one column after another, each column holding every row in row order:
 *   time    byte k (0..6) then ucol of zigzag(q[i] - q[i-1]), q = time_us / 10^k,
 *           q[-1] = 0; k is the largest that divides every time (second-granular
 *           CloudTrail times give deltas in seconds)
 *   source, flags, str[0..10]             ucol of the value
 *   uid, request_id, input_body_ref, output_body_ref, each as
 *           kinds: ucol of 0 empty | 1 same text as uid (not for uid) | 2
 *                  lower-case UUID packed in 16 bytes | 3 text
 *           data:  varint L, then L bytes: per row of kind 2 the 16 bytes
 *                  (not for uid: those are in raw), of kind 3 varint
 *                  length (<= 65535) + the bytes
 *   input_tokens, output_tokens, latency_ms   ucol of value + 1 (0 = absent)
 *   line    ucol of zigzag(line[i] - (line[i-1] + 1)), line[-1] = 0
 *   length  ucol of the value
 *   offset  ucol of zigzag(offset - (prev.offset + prev.length)), taken in LINE
 *           order (rows stably sorted by line; prev before the first = 0, 0):
 *           records of one member sit end to end in file order, so each delta
 *           is the separator between two records, whatever the time order
 *   ucol = 0x00 varint v (every row is v) | 0x01 varint L, L bytes of exactly
 *          `rows` varints. Signed deltas wrap modulo 2^64, so any int64 works.
 * The payload must be consumed exactly; every varint, length, kind and value
 * range is checked, and the CRC catches damage DEFLATE would decode silently.
 * A plen that the compressed bytes cannot expand to (DEFLATE's ratio is at
 * most 1032:1) is rejected before anything is allocated.
 */
#include "config.h"

#include "store/evblock.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "common/uuid.h"

#define EVB_MAGIC "LTEB"
#define EVB_VERSION 1u
#define EVB_HEADER_MAX (4 + 1 + 10 + 10 + 10 + 4)
/* libdeflate level, measured with tests/bench/bench_evblock on CloudTrail-like
 * blocks: 1 gives 22.5 bytes/event at 6.2 M events/s, 3 gives 21.8 at 4.4 M,
 * 6 gives 21.9 at 3.0 M. The writer thread encodes, so speed wins. */
#define EVB_LEVEL 1
#define EVB_MAX_RATIO 1032u
#define EVB_TIME_K_MAX 6
#define NTXT 4 /* uid, request_id, input_body_ref, output_body_ref */

enum { K_EMPTY, K_SAME_AS_UID, K_UUID, K_TEXT };
enum { UCOL_CONST, UCOL_VARINTS };

static const uint64_t pow10[EVB_TIME_K_MAX + 1] = {1, 10, 100, 1000, 10000, 100000, 1000000};

/* ---- shared helpers ---------------------------------------------------- */

static inline uint64_t zigzag(uint64_t d)
{
	return (d << 1) ^ (0 - (d >> 63));
}

static inline uint64_t unzigzag(uint64_t z)
{
	return (z >> 1) ^ (0 - (z & 1));
}

static inline int64_t as_int64(uint64_t u)
{
	int64_t v;
	memcpy(&v, &u, sizeof v);
	return v;
}

static ev_str *txt_field(evblock_row *r, int f)
{
	switch (f) {
	case 0: return &r->uid;
	case 1: return &r->request_id;
	case 2: return &r->input_body_ref;
	default: return &r->output_body_ref;
	}
}

static const ev_str *txt_field_c(const evblock_row *r, int f)
{
	return txt_field((evblock_row *)(uintptr_t)r, f);
}

static const char *const txt_name[NTXT] = {"uid", "request_id", "input_body_ref", "output_body_ref"};

/* Indices of rows sorted by (line, index), into order[n]. 0, or -1 out of memory. */
static int line_order(const evblock_row *rows, size_t n, uint32_t *order)
{
	uint64_t lo = rows[0].line, hi = rows[0].line;
	bool sorted = true;
	for (size_t i = 1; i < n; i++) {
		uint64_t l = rows[i].line;
		sorted &= l >= rows[i - 1].line;
		lo = l < lo ? l : lo;
		hi = l > hi ? l : hi;
	}
	if (sorted) {
		for (size_t i = 0; i < n; i++)
			order[i] = (uint32_t)i;
		return 0;
	}
	if (hi - lo < 4 * (uint64_t)n) { /* counting sort: stable, O(n + range) */
		size_t range = (size_t)(hi - lo) + 1;
		uint32_t *count = calloc(range + 1, sizeof *count);
		if (count == NULL)
			return -1;
		for (size_t i = 0; i < n; i++)
			count[rows[i].line - lo + 1]++;
		for (size_t j = 1; j <= range; j++)
			count[j] += count[j - 1];
		for (size_t i = 0; i < n; i++)
			order[count[rows[i].line - lo]++] = (uint32_t)i;
		free(count);
		return 0;
	}
	/* sparse lines: stable merge sort of indices by line */
	uint32_t *tmp = malloc(n * sizeof *tmp);
	if (tmp == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	uint32_t *src = order, *dst = tmp;
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t a = 0; a < n; a += 2 * w) {
			size_t m = a + w < n ? a + w : n, e = a + 2 * w < n ? a + 2 * w : n;
			size_t i = a, j = m, o = a;
			while (i < m && j < e)
				dst[o++] = rows[src[j]].line < rows[src[i]].line ? src[j++] : src[i++];
			while (i < m)
				dst[o++] = src[i++];
			while (j < e)
				dst[o++] = src[j++];
		}
		uint32_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != order)
		memcpy(order, src, n * sizeof *order);
	free(tmp);
	return 0;
}

/* One compressor and one decompressor are kept for reuse (allocating one costs
 * more than encoding a small block); a thread that finds the slot empty
 * allocates its own and offers it back afterwards. */
static _Atomic(struct libdeflate_compressor *) cached_compressor;
static _Atomic(struct libdeflate_decompressor *) cached_decompressor;

static struct libdeflate_compressor *compressor_take(void)
{
	struct libdeflate_compressor *c = atomic_exchange(&cached_compressor, NULL);
	return c != NULL ? c : libdeflate_alloc_compressor(EVB_LEVEL);
}

static void compressor_give(struct libdeflate_compressor *c)
{
	struct libdeflate_compressor *none = NULL;
	if (!atomic_compare_exchange_strong(&cached_compressor, &none, c))
		libdeflate_free_compressor(c);
}

static struct libdeflate_decompressor *decompressor_take(void)
{
	struct libdeflate_decompressor *d = atomic_exchange(&cached_decompressor, NULL);
	return d != NULL ? d : libdeflate_alloc_decompressor();
}

static void decompressor_give(struct libdeflate_decompressor *d)
{
	struct libdeflate_decompressor *none = NULL;
	if (!atomic_compare_exchange_strong(&cached_decompressor, &none, d))
		libdeflate_free_decompressor(d);
}

int evblock_row_cmp(const evblock_row *a, const evblock_row *b)
{
	if (a->time_us != b->time_us)
		return a->time_us < b->time_us ? -1 : 1;
	if (a->source != b->source)
		return a->source < b->source ? -1 : 1;
	size_t n = a->uid.n < b->uid.n ? a->uid.n : b->uid.n;
	int c = n > 0 ? memcmp(a->uid.p, b->uid.p, n) : 0;
	if (c != 0)
		return c;
	return a->uid.n < b->uid.n ? -1 : a->uid.n > b->uid.n ? 1 : 0;
}

/* ---- encoder ----------------------------------------------------------- */

static inline size_t varint_len(uint64_t v)
{
#if defined(__GNUC__)
	return 1 + (size_t)(63 - __builtin_clzll(v | 1)) / 7;
#else
	size_t n = 1;
	for (; v >= 0x80; v >>= 7)
		n++;
	return n;
#endif
}

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static uint8_t *put_ucol(uint8_t *p, const uint64_t *v, size_t n)
{
	size_t i = 1;
	while (i < n && v[i] == v[0])
		i++;
	if (i == n) {
		*p++ = UCOL_CONST;
		return put_varint(p, v[0]);
	}
	size_t len = 0;
	for (i = 0; i < n; i++)
		len += varint_len(v[i]);
	*p++ = UCOL_VARINTS;
	p = put_varint(p, len);
	for (i = 0; i < n; i++)
		p = put_varint(p, v[i]);
	return p;
}

static lt_status check_rows(const evblock_row *rows, size_t n, uint64_t *text_bytes, lt_error *err)
{
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		const evblock_row *r = &rows[i];
		if (r->source > 255)
			return lt_error_set(err, LT_EFATAL, "event block: row %zu: source %u out of range 0..255",
				i, (unsigned)r->source);
		const int64_t num[3] = {r->input_tokens, r->output_tokens, r->latency_ms};
		for (int k = 0; k < 3; k++)
			if (num[k] < -1)
				return lt_error_set(err, LT_EFATAL, "event block: row %zu: %s %lld below -1", i,
					k == 0 ? "input_tokens" : k == 1 ? "output_tokens" : "latency_ms",
					(long long)num[k]);
		for (int f = 0; f < NTXT; f++) {
			const ev_str *s = txt_field_c(r, f);
			if (s->n > EVBLOCK_STR_MAX)
				return lt_error_set(err, LT_EFATAL, "event block: row %zu: %s of %zu bytes (at most %u)",
					i, txt_name[f], s->n, EVBLOCK_STR_MAX);
			if (s->n > 0 && s->p == NULL)
				return lt_error_set(err, LT_EFATAL, "event block: row %zu: %s has %zu bytes but no text",
					i, txt_name[f], s->n);
			total += s->n;
		}
	}
	*text_bytes = total;
	return LT_OK;
}

static int time_scale(const evblock_row *rows, size_t n)
{
	int k = EVB_TIME_K_MAX;
	for (size_t i = 0; i < n && k > 0; i++)
		while (k > 0 && rows[i].time_us % (int64_t)pow10[k] != 0)
			k--;
	return k;
}

static uint8_t txt_kind(const evblock_row *r, int f, unsigned char packed[16])
{
	const ev_str *s = txt_field_c(r, f);
	if (s->n == 0)
		return K_EMPTY;
	if (f > 0 && s->n == r->uid.n && memcmp(s->p, r->uid.p, s->n) == 0)
		return K_SAME_AS_UID;
	return lt_uuid_pack(s->p, s->n, packed) ? K_UUID : K_TEXT;
}

/* Writes the kind column, then the data column, of text field f. kind[n] and
 * packed[16 n] are scratch. For the uid (f == 0) the packed UUIDs go to the
 * raw section at *raw instead, which is advanced. */
static uint8_t *put_text(uint8_t *p, const evblock_row *rows, size_t n, int f, uint64_t *v,
	uint8_t *kind, uint8_t *packed, uint8_t **raw)
{
	size_t len = 0;
	size_t uuid_len = f == 0 ? 0 : 16;
	for (size_t i = 0; i < n; i++) {
		kind[i] = txt_kind(&rows[i], f, f == 0 ? *raw : packed + 16 * i);
		v[i] = kind[i];
		size_t sn = txt_field_c(&rows[i], f)->n;
		len += kind[i] == K_UUID ? uuid_len : kind[i] == K_TEXT ? varint_len(sn) + sn : 0;
		if (f == 0 && kind[i] == K_UUID)
			*raw += 16;
	}
	p = put_ucol(p, v, n);
	p = put_varint(p, len);
	for (size_t i = 0; i < n; i++) {
		const ev_str *s = txt_field_c(&rows[i], f);
		if (kind[i] == K_UUID && f > 0) {
			memcpy(p, packed + 16 * i, 16);
			p += 16;
		} else if (kind[i] == K_TEXT) {
			p = put_varint(p, s->n);
			memcpy(p, s->p, s->n);
			p += s->n;
		}
	}
	return p;
}

/* The payload into p (large enough); returns its end, or NULL out of memory. */
static uint8_t *put_payload(uint8_t *p, const evblock_row *rows, size_t n, uint64_t *v,
	uint8_t *kind, uint8_t *packed, uint8_t **raw, uint32_t *order)
{
	int k = time_scale(rows, n);
	*p++ = (uint8_t)k;
	uint64_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t q = (uint64_t)(rows[i].time_us / (int64_t)pow10[k]);
		v[i] = zigzag(q - prev);
		prev = q;
	}
	p = put_ucol(p, v, n);
	for (size_t i = 0; i < n; i++)
		v[i] = rows[i].source;
	p = put_ucol(p, v, n);
	for (size_t i = 0; i < n; i++)
		v[i] = rows[i].flags;
	p = put_ucol(p, v, n);
	for (int s = 0; s < EVBLOCK_NSTR; s++) {
		for (size_t i = 0; i < n; i++)
			v[i] = rows[i].str[s];
		p = put_ucol(p, v, n);
	}
	for (int f = 0; f < NTXT; f++)
		p = put_text(p, rows, n, f, v, kind, packed, raw);
	for (size_t i = 0; i < n; i++)
		v[i] = (uint64_t)rows[i].input_tokens + 1;
	p = put_ucol(p, v, n);
	for (size_t i = 0; i < n; i++)
		v[i] = (uint64_t)rows[i].output_tokens + 1;
	p = put_ucol(p, v, n);
	for (size_t i = 0; i < n; i++)
		v[i] = (uint64_t)rows[i].latency_ms + 1;
	p = put_ucol(p, v, n);
	prev = 0;
	for (size_t i = 0; i < n; i++) {
		v[i] = zigzag(rows[i].line - (prev + 1));
		prev = rows[i].line;
	}
	p = put_ucol(p, v, n);
	for (size_t i = 0; i < n; i++)
		v[i] = rows[i].length;
	p = put_ucol(p, v, n);
	if (line_order(rows, n, order) != 0)
		return NULL;
	prev = 0;
	for (size_t i = 0; i < n; i++) {
		const evblock_row *r = &rows[order[i]];
		v[i] = zigzag(r->offset - prev);
		prev = r->offset + r->length;
	}
	return put_ucol(p, v, n);
}

static lt_status compress_into(const uint8_t *payload, size_t plen, const uint8_t *raw,
	size_t rawlen, size_t n, buf *out, lt_error *err)
{
	struct libdeflate_compressor *c = compressor_take();
	if (c == NULL)
		return lt_error_set(err, LT_EFATAL, "event block: out of memory allocating a compressor");
	size_t bound = libdeflate_deflate_compress_bound(c, plen);
	uint8_t *h = (uint8_t *)buf_reserve(out, EVB_HEADER_MAX + rawlen + bound);
	if (h == NULL) {
		compressor_give(c);
		return lt_error_set(err, LT_EFATAL, "event block: out of memory (or buffer cap) for %zu bytes",
			EVB_HEADER_MAX + rawlen + bound);
	}
	uint8_t *p = h;
	memcpy(p, EVB_MAGIC, 4);
	p += 4;
	*p++ = EVB_VERSION;
	p = put_varint(p, n);
	p = put_varint(p, plen);
	p = put_varint(p, rawlen);
	uint32_t crc = libdeflate_crc32(libdeflate_crc32(0, raw, rawlen), payload, plen);
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)(crc >> (8 * i));
	memcpy(p, raw, rawlen);
	p += rawlen;
	size_t clen = libdeflate_deflate_compress(c, payload, plen, p, bound);
	compressor_give(c);
	if (clen == 0)
		return lt_error_set(err, LT_EFATAL, "event block: compressed data larger than its bound");
	buf_commit(out, (size_t)(p - h) + clen);
	return LT_OK;
}

lt_status evblock_encode(const evblock_row *rows, size_t n, buf *out, lt_error *err)
{
	if (n < 1 || n > EVBLOCK_MAX)
		return lt_error_set(err, LT_EFATAL, "event block: %zu rows (must be 1..%d)", n, EVBLOCK_MAX);
	uint64_t text_bytes = 0;
	lt_status st = check_rows(rows, n, &text_bytes, err);
	if (st != LT_OK)
		return st;
	/* 24 ucols, 4 data columns, each string at most 3 bytes of length + text */
	uint64_t bound = 1 + 24 * (11 + 10 * (uint64_t)n) + NTXT * 10 + NTXT * 3 * (uint64_t)n + text_bytes;
	if (text_bytes > EVBLOCK_PAYLOAD_MAX)
		return lt_error_set(err, LT_EFATAL, "event block: %llu bytes of text pass the payload cap "
			"of %u bytes; split the block", (unsigned long long)text_bytes, EVBLOCK_PAYLOAD_MAX);
	uint8_t *payload = malloc((size_t)bound);
	uint64_t *v = malloc(n * sizeof *v);
	uint8_t *kind = malloc(33 * n); /* kinds, packed UUIDs, raw uid section */
	uint32_t *order = malloc(n * sizeof *order);
	uint8_t *end = NULL, *raw = kind != NULL ? kind + 17 * n : NULL;
	if (payload != NULL && v != NULL && kind != NULL && order != NULL)
		end = put_payload(payload, rows, n, v, kind, kind + n, &raw, order);
	if (end == NULL) {
		st = lt_error_set(err, LT_EFATAL, "event block: out of memory encoding %zu rows", n);
	} else if ((size_t)(end - payload) > EVBLOCK_PAYLOAD_MAX) {
		st = lt_error_set(err, LT_EFATAL, "event block: payload of %zu bytes passes the cap of %u "
			"bytes; split the block", (size_t)(end - payload), EVBLOCK_PAYLOAD_MAX);
	} else {
		st = compress_into(payload, (size_t)(end - payload), kind + 17 * n,
			(size_t)(raw - (kind + 17 * n)), n, out, err);
	}
	free(order);
	free(kind);
	free(v);
	free(payload);
	return st;
}

/* ---- decoder ----------------------------------------------------------- */

struct evblock {
	size_t n;
	size_t mem;
	evblock_row *rows;
	uint8_t *payload; /* text strings point here */
	char *uuid_text;  /* 36 bytes per packed UUID */
};

typedef struct rd {
	const uint8_t *p, *end;
} rd;

/* 0, or -1 when truncated or longer than 64 bits. */
static inline int get_varint(rd *r, uint64_t *out)
{
	const uint8_t *p = r->p;
	uint64_t v = 0;
	if (r->end - p >= 10) {
		for (int s = 0; s < 63; s += 7) {
			uint8_t b = *p++;
			v |= (uint64_t)(b & 0x7f) << s;
			if (b < 0x80) {
				r->p = p;
				*out = v;
				return 0;
			}
		}
		if (*p > 1)
			return -1;
		v |= (uint64_t)*p++ << 63;
		r->p = p;
		*out = v;
		return 0;
	}
	for (int s = 0; p < r->end; s += 7) {
		uint8_t b = *p++;
		if (s == 63 && b > 1)
			return -1;
		v |= (uint64_t)(b & 0x7f) << s;
		if (b < 0x80) {
			r->p = p;
			*out = v;
			return 0;
		}
		if (s == 63)
			return -1;
	}
	return -1;
}

typedef struct ucol {
	rd r;
	uint64_t value;
	bool constant;
} ucol;

static inline int ucol_next(ucol *c, uint64_t *v)
{
	if (c->constant) {
		*v = c->value;
		return 0;
	}
	return get_varint(&c->r, v);
}

/* Column order in the payload (each text field's data column follows its kind column). */
enum {
	C_TIME, C_SOURCE, C_FLAGS, C_STR0,
	C_UIDK = C_STR0 + EVBLOCK_NSTR, C_RIDK, C_IBK, C_OBK,
	C_INTOK, C_OUTTOK, C_LAT, C_LINE, C_LEN, C_OFF, NCOL
};

static const char *col_name(int c)
{
	static const char *const str[EVBLOCK_NSTR] = {"action", "service", "principal", "access_key",
		"account", "region", "source_ip", "user_agent", "model", "error_code", "guardrail_action"};
	static const char *const other[] = {"uid kind", "request_id kind", "input_body_ref kind",
		"output_body_ref kind", "input_tokens", "output_tokens", "latency_ms", "line", "length",
		"offset"};
	if (c == C_TIME)
		return "time";
	if (c == C_SOURCE)
		return "source";
	if (c == C_FLAGS)
		return "flags";
	if (c < C_UIDK)
		return str[c - C_STR0];
	return other[c - C_UIDK];
}

static lt_status bad(lt_error *err, const char *what, const char *why)
{
	return lt_error_set(err, LT_EFILE, "event block: %s: %s", what, why);
}

static lt_status open_ucol(rd *pl, ucol *c, size_t n, const char *name, lt_error *err)
{
	if (pl->p >= pl->end)
		return bad(err, name, "column missing (payload ends)");
	uint8_t tag = *pl->p++;
	uint64_t x;
	if (get_varint(pl, &x) != 0)
		return bad(err, name, "bad column header varint");
	if (tag == UCOL_CONST) {
		c->constant = true;
		c->value = x;
		return LT_OK;
	}
	if (tag != UCOL_VARINTS)
		return bad(err, name, "unknown column encoding");
	if (x > (uint64_t)(pl->end - pl->p))
		return bad(err, name, "column longer than the payload");
	if (x < n || x > 10 * (uint64_t)n)
		return bad(err, name, "column length does not fit the row count");
	c->constant = false;
	c->r.p = pl->p;
	c->r.end = pl->p + x;
	pl->p += x;
	return LT_OK;
}

static lt_status open_data(rd *pl, rd *d, const char *name, lt_error *err)
{
	uint64_t x;
	if (get_varint(pl, &x) != 0)
		return bad(err, name, "bad data column length");
	if (x > (uint64_t)(pl->end - pl->p))
		return bad(err, name, "data column longer than the payload");
	d->p = pl->p;
	d->end = pl->p + x;
	pl->p += x;
	return LT_OK;
}

/* Rows of kind K_UUID in a kind column (values are validated later). */
static size_t count_uuids(const ucol *c, size_t n)
{
	if (c->constant)
		return c->value == K_UUID ? n : 0;
	rd r = c->r;
	size_t k = 0;
	uint64_t v;
	for (size_t i = 0; i < n && get_varint(&r, &v) == 0; i++)
		k += v == K_UUID;
	return k;
}

typedef struct dstate {
	ucol c[NCOL];
	rd data[NTXT];
	rd raw; /* packed uid UUIDs */
	char *uuid_next;
	char *uuid_end;
} dstate;

static lt_status get_text(dstate *s, evblock_row *r, int f, lt_error *err)
{
	uint64_t kind;
	ev_str *out = txt_field(r, f);
	if (ucol_next(&s->c[C_UIDK + f], &kind) != 0)
		return bad(err, col_name(C_UIDK + f), "truncated column");
	rd *d = &s->data[f];
	switch (kind) {
	case K_EMPTY:
		*out = EV_STR_NULL;
		return LT_OK;
	case K_SAME_AS_UID:
		if (f == 0)
			break;
		*out = r->uid;
		return LT_OK;
	case K_UUID:
		if (f == 0)
			d = &s->raw;
		if (d->end - d->p < 16)
			return bad(err, txt_name[f], f == 0 ? "raw UUID section too short" :
				"data column truncated in a UUID");
		if (s->uuid_end - s->uuid_next < 36)
			return bad(err, txt_name[f], "more UUIDs than counted"); /* cannot happen */
		lt_uuid_format(d->p, s->uuid_next);
		d->p += 16;
		*out = ev_str_from(s->uuid_next, 36);
		s->uuid_next += 36;
		return LT_OK;
	case K_TEXT: {
		uint64_t len;
		if (get_varint(d, &len) != 0)
			return bad(err, txt_name[f], "bad text length varint");
		if (len > EVBLOCK_STR_MAX)
			return bad(err, txt_name[f], "text longer than 65535 bytes");
		if (len > (uint64_t)(d->end - d->p))
			return bad(err, txt_name[f], "data column truncated in a text");
		*out = len > 0 ? ev_str_from((const char *)d->p, (size_t)len) : EV_STR_NULL;
		d->p += len;
		return LT_OK;
	}
	default:
		break;
	}
	return bad(err, col_name(C_UIDK + f), "unknown kind");
}

static inline lt_status get_number(ucol *c, int col, int64_t *out, lt_error *err)
{
	uint64_t v;
	if (ucol_next(c, &v) != 0)
		return bad(err, col_name(col), "truncated column");
	if (v > (uint64_t)INT64_MAX + 1)
		return bad(err, col_name(col), "value out of range");
	*out = as_int64(v - 1);
	return LT_OK;
}

#define NEXT(col, dst)                                                      \
	do {                                                                \
		if (ucol_next(&s->c[col], &(dst)) != 0)                     \
			return bad(err, col_name(col), "truncated column"); \
	} while (0)

static lt_status get_row(dstate *s, evblock_row *r, int k, uint64_t *tprev, uint64_t *lprev,
	lt_error *err)
{
	uint64_t v;
	NEXT(C_TIME, v);
	*tprev += unzigzag(v);
	r->time_us = as_int64(*tprev * pow10[k]);
	NEXT(C_SOURCE, v);
	if (v > 255)
		return bad(err, "source", "value out of range 0..255");
	r->source = (uint32_t)v;
	NEXT(C_FLAGS, v);
	if (v > UINT32_MAX)
		return bad(err, "flags", "value out of range");
	r->flags = (uint32_t)v;
	for (int i = 0; i < EVBLOCK_NSTR; i++) {
		NEXT(C_STR0 + i, v);
		if (v > UINT32_MAX)
			return bad(err, col_name(C_STR0 + i), "string id out of range");
		r->str[i] = (uint32_t)v;
	}
	for (int f = 0; f < NTXT; f++) {
		lt_status st = get_text(s, r, f, err);
		if (st != LT_OK)
			return st;
	}
	if (get_number(&s->c[C_INTOK], C_INTOK, &r->input_tokens, err) != LT_OK ||
		get_number(&s->c[C_OUTTOK], C_OUTTOK, &r->output_tokens, err) != LT_OK ||
		get_number(&s->c[C_LAT], C_LAT, &r->latency_ms, err) != LT_OK)
		return LT_EFILE;
	NEXT(C_LINE, v);
	*lprev += 1 + unzigzag(v);
	r->line = *lprev;
	NEXT(C_LEN, r->length);
	return LT_OK;
}

/* Reads the columns of pl into b's rows (b->rows allocated, uuid_text sized). */
static lt_status get_rows(dstate *s, evblock *b, int k, lt_error *err)
{
	uint64_t tprev = 0, lprev = 0;
	for (size_t i = 0; i < b->n; i++) {
		lt_status st = get_row(s, &b->rows[i], k, &tprev, &lprev, err);
		if (st != LT_OK)
			return st;
	}
	uint32_t *order = malloc(b->n * sizeof *order);
	if (order == NULL || line_order(b->rows, b->n, order) != 0) {
		free(order);
		return lt_error_set(err, LT_EFATAL, "event block: out of memory decoding %zu rows", b->n);
	}
	uint64_t prev = 0;
	for (size_t i = 0; i < b->n; i++) {
		evblock_row *r = &b->rows[order[i]];
		uint64_t v;
		if (ucol_next(&s->c[C_OFF], &v) != 0) {
			free(order);
			return bad(err, "offset", "truncated column");
		}
		r->offset = prev + unzigzag(v);
		prev = r->offset + r->length;
	}
	free(order);
	for (int c = 0; c < NCOL; c++)
		if (!s->c[c].constant && s->c[c].r.p != s->c[c].r.end)
			return bad(err, col_name(c), "column has bytes past its last row");
	for (int f = 0; f < NTXT; f++)
		if (s->data[f].p != s->data[f].end)
			return bad(err, txt_name[f], "data column has bytes past its last row");
	if (s->raw.p != s->raw.end)
		return bad(err, "uid", "raw UUID section longer than the rows need");
	return LT_OK;
}

/* Parses the column headers of the payload, then allocates *out and fills it. */
static lt_status parse_payload(uint8_t *payload, size_t plen, const uint8_t *raw,
	size_t rawlen, size_t n, evblock **out, lt_error *err)
{
	dstate s;
	s.raw.p = raw;
	s.raw.end = raw + rawlen;
	rd pl = {payload, payload + plen};
	if (plen < 1 || payload[0] > EVB_TIME_K_MAX)
		return bad(err, "time", "bad scale byte");
	int k = payload[0];
	pl.p++;
	lt_status st = LT_OK;
	for (int c = 0; c < C_UIDK && st == LT_OK; c++)
		st = open_ucol(&pl, &s.c[c], n, col_name(c), err);
	for (int f = 0; f < NTXT && st == LT_OK; f++) {
		st = open_ucol(&pl, &s.c[C_UIDK + f], n, col_name(C_UIDK + f), err);
		if (st == LT_OK)
			st = open_data(&pl, &s.data[f], txt_name[f], err);
	}
	for (int c = C_INTOK; c < NCOL && st == LT_OK; c++)
		st = open_ucol(&pl, &s.c[c], n, col_name(c), err);
	if (st != LT_OK)
		return st;
	if (pl.p != pl.end)
		return bad(err, "payload", "bytes past the last column");
	size_t nuuid = 0;
	for (int f = 0; f < NTXT; f++)
		nuuid += count_uuids(&s.c[C_UIDK + f], n);
	if (16 * count_uuids(&s.c[C_UIDK], n) != rawlen)
		return bad(err, "uid", "raw UUID section does not match the uid kinds");
	size_t rows_bytes = n * sizeof(evblock_row);
	evblock *b = malloc(sizeof *b + rows_bytes + 36 * nuuid);
	if (b == NULL)
		return lt_error_set(err, LT_EFATAL, "event block: out of memory decoding %zu rows", n);
	b->n = n;
	b->rows = (evblock_row *)(void *)(b + 1);
	b->uuid_text = (char *)b->rows + rows_bytes;
	b->payload = payload;
	b->mem = sizeof *b + rows_bytes + 36 * nuuid + plen;
	s.uuid_next = b->uuid_text;
	s.uuid_end = b->uuid_text + 36 * nuuid;
	st = get_rows(&s, b, k, err);
	if (st != LT_OK) {
		free(b);
		return st;
	}
	*out = b;
	return LT_OK;
}

static lt_status inflate_payload(const uint8_t *in, size_t inlen, uint8_t *payload, size_t plen,
	const uint8_t *raw, size_t rawlen, uint32_t crc, lt_error *err)
{
	struct libdeflate_decompressor *d = decompressor_take();
	if (d == NULL)
		return lt_error_set(err, LT_EFATAL, "event block: out of memory allocating a decompressor");
	size_t used = 0;
	enum libdeflate_result r = libdeflate_deflate_decompress_ex(d, in, inlen, payload, plen, &used, NULL);
	decompressor_give(d);
	if (r == LIBDEFLATE_SHORT_OUTPUT)
		return bad(err, "payload", "decompresses to fewer bytes than declared");
	if (r == LIBDEFLATE_INSUFFICIENT_SPACE)
		return bad(err, "payload", "decompresses to more bytes than declared");
	if (r != LIBDEFLATE_SUCCESS)
		return bad(err, "payload", "damaged DEFLATE data");
	if (used != inlen)
		return bad(err, "payload", "bytes after the DEFLATE data");
	if (libdeflate_crc32(libdeflate_crc32(0, raw, rawlen), payload, plen) != crc)
		return bad(err, "payload", "CRC-32 mismatch");
	return LT_OK;
}

lt_status evblock_decode(const void *data, size_t n, evblock **out, lt_error *err)
{
	*out = NULL;
	if (n < 5 || memcmp(data, EVB_MAGIC, 4) != 0)
		return bad(err, "header", "not an event block (bad magic)");
	rd h = {data, (const uint8_t *)data + n};
	h.p += 4;
	if (*h.p++ != EVB_VERSION)
		return bad(err, "header", "unsupported version");
	uint64_t rows, plen, rawlen;
	if (get_varint(&h, &rows) != 0 || get_varint(&h, &plen) != 0 ||
		get_varint(&h, &rawlen) != 0 || h.end - h.p < 4)
		return bad(err, "header", "truncated or bad varint");
	if (rows < 1 || rows > EVBLOCK_MAX)
		return bad(err, "header", "row count out of range 1..8192");
	if (plen > EVBLOCK_PAYLOAD_MAX)
		return bad(err, "header", "payload length above the 64 MiB cap");
	if (rawlen > 16 * rows)
		return bad(err, "header", "raw UUID section longer than 16 bytes per row");
	uint32_t crc = (uint32_t)h.p[0] | (uint32_t)h.p[1] << 8 | (uint32_t)h.p[2] << 16 |
		(uint32_t)h.p[3] << 24;
	h.p += 4;
	if (rawlen > (uint64_t)(h.end - h.p))
		return bad(err, "header", "truncated in the raw UUID section");
	const uint8_t *raw = h.p;
	h.p += rawlen;
	size_t clen = (size_t)(h.end - h.p);
	if (plen > (uint64_t)clen * EVB_MAX_RATIO)
		return bad(err, "header", "payload length more than the compressed bytes can hold");
	uint8_t *payload = malloc(plen > 0 ? (size_t)plen : 1);
	if (payload == NULL)
		return lt_error_set(err, LT_EFATAL, "event block: out of memory for a %llu-byte payload",
			(unsigned long long)plen);
	lt_status st = inflate_payload(h.p, clen, payload, (size_t)plen, raw, (size_t)rawlen, crc, err);
	if (st == LT_OK) /* raw stays borrowed from data until the UUIDs are formatted */
		st = parse_payload(payload, (size_t)plen, raw, (size_t)rawlen, (size_t)rows, out, err);
	if (st != LT_OK)
		free(payload);
	return st;
}

size_t evblock_count(const evblock *b)
{
	return b->n;
}

const evblock_row *evblock_row_at(const evblock *b, size_t i)
{
	return &b->rows[i];
}

size_t evblock_mem(const evblock *b)
{
	return b->mem;
}

void evblock_free(evblock *b)
{
	if (b == NULL)
		return;
	free(b->payload);
	free(b);
}
