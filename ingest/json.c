/*
 * json.c — strict RFC 8259 parser into an arena DOM, plus lookup, number
 * conversion and the writer (see json.h). Spec: https://www.rfc-editor.org/rfc/rfc8259
 *
 * Parsing is one iterative pass with an explicit frame stack, so hostile
 * nesting costs bounded heap (max_depth frames), never C stack. Children of
 * open containers accumulate on two scratch stacks (values for arrays,
 * members for objects) that start on the C stack and grow inside the arena
 * (so the arena cap bounds them too); when a container closes, its children
 * are copied into one arena block: contiguous, and no malloc per node.
 * Strings are scanned 16 bytes at a time (SSE2; a table loop elsewhere) for
 * '"', '\\', control bytes and non-ASCII. A string that is plain ASCII or
 * valid UTF-8 stays in the input (in situ); one with escapes or invalid UTF-8
 * is decoded in two passes (measure, then write) into the arena.
 * UTF-8 is validated per RFC 3629 / Unicode Table 3-7; each maximal invalid
 * subpart becomes one U+FFFD (Unicode's recommended practice), unless strict.
 */
#include "ingest/json.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define INIT_VALUES 64
#define INIT_MEMBERS 64
#define INIT_FRAMES 32
#define WRITE_MAX_DEPTH 10000

typedef struct frame {
	json_type type;  /* JSON_ARRAY or JSON_OBJECT */
	uint32_t flags;  /* flags for the container itself (a repaired key) */
	size_t base;     /* index of its first child on the matching scratch stack */
} frame;

typedef struct parser {
	const char *text;
	const char *end;
	arena *a;
	unsigned opts;
	unsigned max_depth;
	uint32_t doc_flags;
	lt_error *err;
	json_value *root;
	json_value *vs; /* scratch: children of open arrays */
	size_t vn, vcap;
	json_member *ms; /* scratch: members of open objects */
	size_t mn, mcap;
	frame *fs; /* open containers, innermost last */
	size_t fn, fcap;
} parser;

/* ---------------------------------------------------------------- errors */

static const char *fail(parser *P, const char *at, const char *fmt, ...) LT_PRINTF(3, 4);

static const char *fail(parser *P, const char *at, const char *fmt, ...)
{
	if (P->err == NULL)
		return NULL;
	char msg[LT_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	P->err->offset = (uint64_t)(at - P->text);
	if (at < P->end && *at == '\0' && strncmp(msg, "control character", 17) != 0)
		lt_error_set(P->err, LT_EITEM, "%s, found a NUL byte", msg);
	else
		lt_error_set(P->err, LT_EITEM, "%s", msg);
	return NULL;
}

static const char *too_large(parser *P, const char *at)
{
	return fail(P, at, "document too large");
}

/* ---------------------------------------------------------------- scanning */

/* Bytes that may appear in a string without any attention. */
static const unsigned char plain_byte[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
	R16(0), R16(0),                                          /* 0x00-0x1f controls */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,          /* 0x20-0x2f: '"' */
	R16(1), R16(1),                                          /* 0x30-0x4f */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,          /* 0x50-0x5f: '\\' */
	R16(1), R16(1),                                          /* 0x60-0x7f */
	R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0) /* non-ASCII */
#undef R16
};

static inline const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (unsigned char)*p <= ' ') {
		char c = *p;
		if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			break;
		p++;
	}
	return p;
}

/* Length (2..4) of the valid UTF-8 sequence at p, or minus the length of the
 * maximal invalid subpart there (at least 1). p[0] is >= 0x80. */
static int utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	unsigned lo = 0x80, hi = 0xBF;
	int n;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		else if (c == 0xED)
			hi = 0x9F; /* UTF-16 surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		else if (c == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else {
		return -1;
	}
	if (end - p < 2 || p[1] < lo || p[1] > hi)
		return -1;
	for (int i = 2; i < n; i++)
		if (end - p <= i || (p[i] & 0xC0) != 0x80)
			return -i;
	return n;
}

static size_t utf8_put(char *dst, uint32_t cp)
{
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xC0 | (cp >> 6));
		dst[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		dst[0] = (char)(0xE0 | (cp >> 12));
		dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		dst[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	dst[0] = (char)(0xF0 | (cp >> 18));
	dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	dst[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static size_t utf8_len(uint32_t cp)
{
	return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/* ---------------------------------------------------------------- strings */

/* The 4 hex digits at p (p[0..4) must be readable), or -1. */
static long hex4(const char *p)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = (unsigned char)p[i];
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* True if the input ends inside what could still become a \uXXXX escape at p:
 * more input might complete it (a streaming caller wants "ended early"). */
static bool ends_in_u_escape(const char *p, const char *end)
{
	if (end - p >= 6 || p == end || p[0] != '\\')
		return false;
	if (end - p >= 2 && p[1] != 'u')
		return false;
	for (const char *h = p + 2; h < end; h++)
		if (!((*h >= '0' && *h <= '9') || ((*h | 0x20) >= 'a' && (*h | 0x20) <= 'f')))
			return false;
	return true;
}

/* Decodes the escape at q (q[0] == '\\'): writes it to dst unless NULL, adds
 * its decoded length to *n. Returns the byte after the escape, NULL on error. */
static const char *decode_escape(parser *P, const char *q, char *dst, size_t *n, uint32_t *flags)
{
	if (P->end - q < 2)
		return fail(P, P->end, "unterminated string: input ends in an escape");
	char simple;
	switch (q[1]) {
	case '"': simple = '"'; break;
	case '\\': simple = '\\'; break;
	case '/': simple = '/'; break;
	case 'b': simple = '\b'; break;
	case 'f': simple = '\f'; break;
	case 'n': simple = '\n'; break;
	case 'r': simple = '\r'; break;
	case 't': simple = '\t'; break;
	case 'u': simple = 0; break;
	default:
		return fail(P, q, "invalid escape: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
	}
	if (q[1] != 'u') {
		if (dst != NULL)
			*dst = simple;
		*n += 1;
		return q + 2;
	}
	if (ends_in_u_escape(q, P->end))
		return fail(P, P->end, "unterminated string: input ends in a \\u escape");
	long cp = P->end - q >= 6 ? hex4(q + 2) : -1;
	if (cp < 0)
		return fail(P, q, "expected 4 hex digits after \\u");
	const char *next = q + 6;
	bool lone = false;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		long lo = (P->end - next >= 6 && next[0] == '\\' && next[1] == 'u') ? hex4(next + 2) : -1;
		if (lo >= 0xDC00 && lo <= 0xDFFF) {
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			next += 6;
		} else {
			lone = true;
		}
	} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
		lone = true;
	}
	if (lone && (P->opts & JSON_STRICT_UTF8)) {
		if (cp <= 0xDBFF && (next == P->end || ends_in_u_escape(next, P->end)))
			return fail(P, P->end, "unterminated string: input ends after a high surrogate");
		return fail(P, q, "lone UTF-16 surrogate \\u%04lx", (unsigned long)cp);
	}
	if (lone) {
		cp = 0xFFFD;
		*flags |= JSON_F_REPLACED;
	}
	*n += dst != NULL ? utf8_put(dst, (uint32_t)cp) : utf8_len((uint32_t)cp);
	return next;
}

/* Skips plain bytes (see plain_byte) from q and returns the first byte that is
 * not, or end. When dst is given, also copies them to dst+*n; *n grows by
 * their count. dst needs STRING_SLACK bytes beyond the decoded length: whole
 * 16-byte blocks are stored before they are inspected. */
#define STRING_SLACK 16
static inline const char *copy_plain(const char *q, const char *end, char *dst, size_t *n)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(' ');
	while (end - q >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)q);
		if (dst != NULL)
			_mm_storeu_si128((__m128i *)(void *)(dst + *n), x);
		/* signed compare: bytes >= 0x80 are negative, so "< ' '" catches them too */
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
		                           _mm_cmplt_epi8(x, space));
		unsigned mask = (unsigned)_mm_movemask_epi8(hit);
		if (mask != 0) {
			unsigned k = (unsigned)__builtin_ctz(mask);
			*n += k;
			return q + k;
		}
		q += 16;
		*n += 16;
	}
#endif
	const char *r = q;
	while (r < end && plain_byte[(unsigned char)*r])
		r++;
	if (dst != NULL)
		memcpy(dst + *n, q, (size_t)(r - q));
	*n += (size_t)(r - q);
	return r;
}

/* First byte at or after p that is '"', '\\', a control byte or non-ASCII; end if none. */
static inline const char *scan_plain(const char *p, const char *end)
{
	size_t unused = 0;
	return copy_plain(p, end, NULL, &unused);
}

/* Walks the string from q (inside it, past the opening quote) to its closing
 * quote, decoding into dst+*n when dst is given, else only measuring and
 * validating. Returns the byte after the closing quote, NULL on error. */
static const char *decode_string(parser *P, const char *q, char *dst, size_t *n, uint32_t *flags)
{
	const char *end = P->end;
	for (;;) {
		q = copy_plain(q, end, dst, n);
		if (q == end)
			return fail(P, q, "unterminated string: expected '\"'");
		unsigned char c = (unsigned char)*q;
		if (c == '"')
			return q + 1;
		if (c == '\\') {
			q = decode_escape(P, q, dst != NULL ? dst + *n : NULL, n, flags);
			if (q == NULL)
				return NULL;
			continue;
		}
		if (c < 0x20)
			return fail(P, q, "control character 0x%02x in string: expected it escaped", c);
		int k = utf8_seq((const unsigned char *)q, (const unsigned char *)end);
		if (k > 0) {
			if (dst != NULL)
				memcpy(dst + *n, q, (size_t)k);
			*n += (size_t)k;
			q += k;
			continue;
		}
		if (q + -k == end)
			return fail(P, end, "unterminated string: input ends inside a UTF-8 sequence");
		if (P->opts & JSON_STRICT_UTF8)
			return fail(P, q, "invalid UTF-8 in string");
		if (dst != NULL)
			memcpy(dst + *n, "\xEF\xBF\xBD", 3);
		*n += 3;
		*flags |= JSON_F_REPLACED;
		q += -k;
	}
}

/* The string needs decoding: s is its first content byte, q the first byte
 * needing attention (everything in [s, q) is plain). */
static const char *parse_string_slow(parser *P, const char *s, const char *q, const char **out,
                                     size_t *out_len, uint32_t *flags)
{
	size_t prefix = (size_t)(q - s);
	size_t n = prefix;
	uint32_t f = JSON_F_ESCAPED;
	const char *after = decode_string(P, q, NULL, &n, &f);
	if (after == NULL)
		return NULL;
	char *dst = arena_alloc(P->a, n + STRING_SLACK);
	if (dst == NULL)
		return too_large(P, s - 1);
	memcpy(dst, s, prefix);
	size_t m = prefix;
	uint32_t unused = 0;
	(void)decode_string(P, q, dst, &m, &unused);
	*out = dst;
	*out_len = n;
	*flags = f;
	if (f & JSON_F_REPLACED)
		P->doc_flags |= JSON_F_REPLACED;
	return after;
}

/* p is at the opening quote. Returns the byte after the closing quote. */
static inline const char *parse_string(parser *P, const char *p, const char **out, size_t *out_len,
                                       uint32_t *flags)
{
	const char *s = p + 1;
	const char *q = s;
	for (;;) {
		q = scan_plain(q, P->end);
		if (q == P->end)
			return fail(P, q, "unterminated string: expected '\"'");
		unsigned char c = (unsigned char)*q;
		if (c == '"') {
			*out = s;
			*out_len = (size_t)(q - s);
			*flags = 0;
			return q + 1;
		}
		if (c >= 0x80) {
			int k = utf8_seq((const unsigned char *)q, (const unsigned char *)P->end);
			if (k > 0) {
				q += k;
				continue;
			}
		} else if (c < 0x20) {
			return fail(P, q, "control character 0x%02x in string: expected it escaped", c);
		}
		return parse_string_slow(P, s, q, out, out_len, flags);
	}
}

/* ---------------------------------------------------------------- scalars */

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *parse_number(parser *P, const char *p, json_value *v)
{
	const char *s = p, *end = P->end;
	if (*p == '-')
		p++;
	if (p == end || !is_digit(*p))
		return fail(P, p, "expected a digit in number");
	if (*p == '0') {
		p++;
	} else {
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && *p == '.') {
		p++;
		if (p == end || !is_digit(*p))
			return fail(P, p, "expected a digit after '.' in number");
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !is_digit(*p))
			return fail(P, p, "expected a digit in exponent");
		while (p < end && is_digit(*p))
			p++;
	}
	v->type = JSON_NUMBER;
	v->flags = 0;
	v->u.s = s;
	v->len = (size_t)(p - s);
	v->start = (size_t)(s - P->text);
	v->end = (size_t)(p - P->text);
	return p;
}

static const char *parse_literal(parser *P, const char *p, json_value *v)
{
	static const struct {
		const char *word;
		size_t len;
		json_type type;
	} lits[] = {{"null", 4, JSON_NULL}, {"false", 5, JSON_FALSE}, {"true", 4, JSON_TRUE}};
	for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++) {
		if (*p != lits[i].word[0])
			continue;
		size_t avail = (size_t)(P->end - p);
		if (avail < lits[i].len && memcmp(p, lits[i].word, avail) == 0)
			return fail(P, P->end, "unexpected end of input in '%s'", lits[i].word);
		if (avail < lits[i].len || memcmp(p, lits[i].word, lits[i].len) != 0)
			return fail(P, p, "expected a value (invalid literal, not '%s')", lits[i].word);
		v->type = lits[i].type;
		v->flags = 0;
		v->len = 0;
		v->u.s = NULL;
		v->start = (size_t)(p - P->text);
		v->end = v->start + lits[i].len;
		return p + lits[i].len;
	}
	return fail(P, p, "expected a value");
}

/* ---------------------------------------------------------------- stacks */

static void *grow(parser *P, const void *old, size_t n, size_t *cap, size_t elem)
{
	if (*cap > SIZE_MAX / 2 / elem)
		return NULL;
	size_t ncap = *cap * 2;
	void *p = arena_alloc(P->a, ncap * elem);
	if (p == NULL)
		return NULL;
	memcpy(p, old, n * elem);
	*cap = ncap;
	return p;
}

static inline json_value *push_value(parser *P)
{
	if (P->vn == P->vcap) {
		json_value *n = grow(P, P->vs, P->vn, &P->vcap, sizeof *n);
		if (n == NULL)
			return NULL;
		P->vs = n;
	}
	return &P->vs[P->vn++];
}

static inline json_member *push_member(parser *P)
{
	if (P->mn == P->mcap) {
		json_member *n = grow(P, P->ms, P->mn, &P->mcap, sizeof *n);
		if (n == NULL)
			return NULL;
		P->ms = n;
	}
	return &P->ms[P->mn++];
}

/* The slot that holds the innermost open container, or the root. */
static json_value *open_slot(parser *P)
{
	if (P->fn == 0)
		return P->root;
	if (P->fs[P->fn - 1].type == JSON_ARRAY)
		return &P->vs[P->vn - 1];
	return &P->ms[P->mn - 1].value;
}

/* p is at '{' or '['; v is the container's slot. */
static const char *open_container(parser *P, const char *p, json_value *v, json_type type)
{
	if (P->fn >= P->max_depth)
		return fail(P, p, "nesting deeper than %u levels", P->max_depth);
	if (P->fn == P->fcap) {
		frame *n = grow(P, P->fs, P->fn, &P->fcap, sizeof *n);
		if (n == NULL)
			return too_large(P, p);
		P->fs = n;
	}
	frame *f = &P->fs[P->fn++];
	f->type = type;
	f->flags = 0;
	f->base = type == JSON_ARRAY ? P->vn : P->mn;
	v->type = type;
	v->flags = 0;
	v->len = 0;
	v->u.items = NULL;
	v->start = (size_t)(p - P->text);
	return p + 1;
}

/* p is at the closing bracket of the innermost container. */
static const char *close_container(parser *P, const char *p)
{
	frame f = P->fs[--P->fn];
	size_t n;
	void *block = NULL;
	if (f.type == JSON_ARRAY) {
		n = P->vn - f.base;
		if (n > 0) {
			block = arena_alloc(P->a, n * sizeof(json_value));
			if (block == NULL)
				return too_large(P, p);
			memcpy(block, P->vs + f.base, n * sizeof(json_value));
		}
		P->vn = f.base;
	} else {
		n = P->mn - f.base;
		if (n > 0) {
			block = arena_alloc(P->a, n * sizeof(json_member));
			if (block == NULL)
				return too_large(P, p);
			memcpy(block, P->ms + f.base, n * sizeof(json_member));
		}
		P->mn = f.base;
	}
	json_value *v = open_slot(P);
	v->len = n;
	v->flags |= f.flags;
	if (f.type == JSON_ARRAY)
		v->u.items = block;
	else
		v->u.members = block;
	v->end = (size_t)(p + 1 - P->text);
	return p + 1;
}

/* p is where an object key should start. Parses key and ':', and reserves the
 * member; *slot receives where its value goes. */
static const char *parse_key(parser *P, const char *p, json_value **slot, const char *expected)
{
	p = skip_ws(p, P->end);
	if (p == P->end || *p != '"')
		return fail(P, p, "%s", expected);
	const char *key;
	size_t key_len;
	uint32_t kflags;
	p = parse_string(P, p, &key, &key_len, &kflags);
	if (p == NULL)
		return NULL;
	if (kflags & JSON_F_REPLACED)
		P->fs[P->fn - 1].flags |= JSON_F_REPLACED;
	p = skip_ws(p, P->end);
	if (p == P->end || *p != ':')
		return fail(P, p, "expected ':' after object key");
	json_member *m = push_member(P);
	if (m == NULL)
		return too_large(P, p);
	m->key = key;
	m->key_len = key_len;
	*slot = &m->value;
	return p + 1;
}

/* ---------------------------------------------------------------- document */

/* Parses one value at p into P->root; returns the byte after it. */
static const char *parse_value_tree(parser *P, const char *p)
{
	const char *end = P->end;
	json_value *slot = P->root;
	for (;;) {
		/* A value is expected at p, to be stored in *slot. */
		p = skip_ws(p, end);
		if (p == end)
			return fail(P, p, "expected a value");
		char c = *p;
		if (c == '"') {
			const char *s = p;
			p = parse_string(P, p, &slot->u.s, &slot->len, &slot->flags);
			if (p == NULL)
				return NULL;
			slot->type = JSON_STRING;
			slot->start = (size_t)(s - P->text);
			slot->end = (size_t)(p - P->text);
		} else if (c == '{' || c == '[') {
			bool obj = c == '{';
			p = open_container(P, p, slot, obj ? JSON_OBJECT : JSON_ARRAY);
			if (p == NULL)
				return NULL;
			p = skip_ws(p, end);
			if (p < end && *p == (obj ? '}' : ']')) {
				p = close_container(P, p);
			} else if (obj) {
				p = parse_key(P, p, &slot, "expected '\"' to start an object key, or '}'");
				if (p == NULL)
					return NULL;
				continue;
			} else {
				slot = push_value(P);
				if (slot == NULL)
					return too_large(P, p);
				continue;
			}
		} else if (c == '-' || is_digit(c)) {
			p = parse_number(P, p, slot);
		} else {
			p = parse_literal(P, p, slot);
		}
		if (p == NULL)
			return NULL;
		/* A value just ended: close containers until one wants another child. */
		for (;;) {
			if (P->fn == 0)
				return p;
			p = skip_ws(p, end);
			bool obj = P->fs[P->fn - 1].type == JSON_OBJECT;
			char close = obj ? '}' : ']';
			if (p < end && *p == close) {
				p = close_container(P, p);
				if (p == NULL)
					return NULL;
				continue;
			}
			if (p == end || *p != ',')
				return fail(P, p, obj ? "expected ',' or '}' after object member"
				                      : "expected ',' or ']' after array element");
			p++;
			if (obj) {
				p = parse_key(P, p, &slot, "expected '\"' to start an object key");
			} else {
				slot = push_value(P);
				if (slot == NULL)
					return too_large(P, p);
			}
			break;
		}
		if (p == NULL)
			return NULL;
	}
}

bool json_looks_utf16(const void *text, size_t len)
{
	const unsigned char *t = text;
	if (len < 2)
		return false;
	if ((t[0] == 0xFF && t[1] == 0xFE) || (t[0] == 0xFE && t[1] == 0xFF))
		return true;
	/* without a byte order mark: ASCII in UTF-16, one NUL in every pair of bytes */
	size_t n = len < 16 ? len & ~(size_t)1 : 16;
	if (n < 4)
		return false;
	bool le = true, be = true;
	for (size_t i = 0; i < n; i += 2) {
		le = le && t[i] != 0 && t[i + 1] == 0;
		be = be && t[i] == 0 && t[i + 1] != 0;
	}
	return le || be;
}

lt_status json_parse(arena *a, const char *text, size_t len, const json_options *opts,
                     json_value **out, size_t *consumed, lt_error *err)
{
	json_value vstack[INIT_VALUES];
	json_member mstack[INIT_MEMBERS];
	frame fstack[INIT_FRAMES];
	parser P = {
		.text = text, .end = text + len, .a = a, .err = err,
		.opts = opts != NULL ? opts->flags : 0,
		.max_depth = opts != NULL && opts->max_depth != 0 ? opts->max_depth : JSON_DEFAULT_MAX_DEPTH,
		.vs = vstack, .vcap = INIT_VALUES, .ms = mstack, .mcap = INIT_MEMBERS,
		.fs = fstack, .fcap = INIT_FRAMES,
	};
	*out = NULL;
	const char *p = text;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		if (!(P.opts & JSON_ALLOW_BOM)) {
			fail(&P, p, "unexpected UTF-8 byte order mark (expected a value)");
			return LT_EITEM;
		}
		p += 3;
	} else if (json_looks_utf16(text, len)) {
		fail(&P, p, "UTF-16 input is not supported: expected UTF-8 JSON");
		return LT_EITEM;
	}
	P.root = arena_alloc(a, sizeof *P.root);
	if (P.root == NULL) {
		too_large(&P, p);
		return LT_EITEM;
	}
	p = parse_value_tree(&P, p);
	if (p == NULL)
		return LT_EITEM;
	p = skip_ws(p, P.end);
	if (p != P.end && !(P.opts & JSON_ALLOW_TRAILING)) {
		fail(&P, p, "expected end of input after the value");
		return LT_EITEM;
	}
	if (consumed != NULL)
		*consumed = (size_t)(p - text);
	P.root->flags |= P.doc_flags;
	*out = P.root;
	return LT_OK;
}

/* ---------------------------------------------------------------- lookup */

const json_value *json_getn(const json_value *v, const char *key, size_t key_len)
{
	if (v == NULL || v->type != JSON_OBJECT)
		return NULL;
	for (size_t i = v->len; i-- > 0;) {
		const json_member *m = &v->u.members[i];
		if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0)
			return &m->value;
	}
	return NULL;
}

const json_value *json_get(const json_value *v, const char *key)
{
	return json_getn(v, key, strlen(key));
}

const json_value *json_get_path(const json_value *v, const char *dotted)
{
	const char *p = dotted;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		v = json_getn(v, p, n);
		if (v == NULL || dot == NULL)
			return v;
		p = dot + 1;
	}
}

bool json_str_eq(const json_value *v, const char *s)
{
	if (v == NULL || v->type != JSON_STRING)
		return false;
	size_t n = strlen(s);
	return v->len == n && memcmp(v->u.s, s, n) == 0;
}

/* ---------------------------------------------------------------- numbers */

/* The parts of a JSON number's text; false if the text is not one. */
typedef struct number_parts {
	bool neg;
	const char *int_s;
	size_t int_n;
	const char *frac_s;
	size_t frac_n;
	int64_t exp; /* saturated at +-1e9 */
} number_parts;

static bool number_split(const json_value *v, number_parts *np)
{
	if (v == NULL || v->type != JSON_NUMBER || v->u.s == NULL)
		return false;
	const char *p = v->u.s, *end = p + v->len;
	memset(np, 0, sizeof *np);
	if (p < end && *p == '-') {
		np->neg = true;
		p++;
	}
	np->int_s = p;
	while (p < end && is_digit(*p))
		p++;
	np->int_n = (size_t)(p - np->int_s);
	if (np->int_n == 0 || (np->int_n > 1 && np->int_s[0] == '0'))
		return false;
	if (p < end && *p == '.') {
		np->frac_s = ++p;
		while (p < end && is_digit(*p))
			p++;
		np->frac_n = (size_t)(p - np->frac_s);
		if (np->frac_n == 0)
			return false;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		bool eneg = false;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p == end || !is_digit(*p))
			return false;
		for (; p < end && is_digit(*p); p++)
			if (np->exp < 1000000000)
				np->exp = np->exp * 10 + (*p - '0');
		if (eneg)
			np->exp = -np->exp;
	}
	return p == end;
}

/* Digit i of the digit string int||frac. */
static int number_digit(const number_parts *np, size_t i)
{
	return i < np->int_n ? np->int_s[i] - '0' : np->frac_s[i - np->int_n] - '0';
}

lt_status json_to_int64(const json_value *v, int64_t *out)
{
	number_parts np;
	if (!number_split(v, &np))
		return LT_EITEM;
	/* value = digits(first..last) * 10^e, with leading and trailing zeros dropped */
	size_t total = np.int_n + np.frac_n, first = 0, last = total;
	while (first < total && number_digit(&np, first) == 0)
		first++;
	if (first == total) {
		*out = 0;
		return LT_OK;
	}
	while (number_digit(&np, last - 1) == 0)
		last--;
	int64_t e = np.exp - (int64_t)np.frac_n + (int64_t)(total - last);
	size_t ndig = last - first;
	if (e < 0 || ndig > 19 || (int64_t)ndig + e > 19)
		return LT_EITEM; /* a fraction remains, or more than 19 digits */
	uint64_t acc = 0;
	for (size_t i = first; i < last; i++)
		acc = acc * 10 + (uint64_t)number_digit(&np, i);
	for (int64_t i = 0; i < e; i++) {
		if (acc > UINT64_MAX / 10)
			return LT_EITEM;
		acc *= 10;
	}
	if (np.neg) {
		if (acc > (uint64_t)INT64_MAX + 1)
			return LT_EITEM;
		*out = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	} else {
		if (acc > (uint64_t)INT64_MAX)
			return LT_EITEM;
		*out = (int64_t)acc;
	}
	return LT_OK;
}

lt_status json_to_double(const json_value *v, double *out)
{
	number_parts np;
	if (!number_split(v, &np))
		return LT_EITEM;
	char small[128];
	char *copy = v->len < sizeof small ? small : malloc(v->len + 1);
	if (copy == NULL)
		return LT_EITEM;
	memcpy(copy, v->u.s, v->len);
	copy[v->len] = '\0';
	/* strtod reads the locale's decimal point: speak its dialect */
	const char *dp = localeconv()->decimal_point;
	if (np.frac_s != NULL && dp != NULL && dp[0] != '.' && dp[0] != '\0' && dp[1] == '\0')
		copy[np.frac_s - 1 - v->u.s] = dp[0];
	errno = 0;
	char *endp;
	double d = strtod(copy, &endp);
	bool whole = endp == copy + v->len;
	bool overflow = errno == ERANGE && isinf(d);
	if (copy != small)
		free(copy);
	if (!whole || overflow)
		return LT_EITEM;
	*out = d;
	return LT_OK;
}

/* ---------------------------------------------------------------- writer */

static lt_status put(buf *out, const char *s, size_t n)
{
	return buf_append(out, s, n);
}

static lt_status put_escape(buf *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
	switch (c) {
	case '"': return put(out, "\\\"", 2);
	case '\\': return put(out, "\\\\", 2);
	case '\b': return put(out, "\\b", 2);
	case '\f': return put(out, "\\f", 2);
	case '\n': return put(out, "\\n", 2);
	case '\r': return put(out, "\\r", 2);
	case '\t': return put(out, "\\t", 2);
	default: return put(out, e, 6);
	}
}

/* Characters written as \\u escapes although JSON allows them raw: the line
 * separators U+2028/U+2029 (invalid in JavaScript strings) and the
 * bidirectional controls U+200E/U+200F, U+202A-U+202E, U+2066-U+2069 (they
 * reorder text shown in a terminal, so evidence could disguise itself). */
static bool escaped_format_char(const unsigned char *u)
{
	if (u[0] != 0xE2)
		return false;
	if (u[1] == 0x80)
		return u[2] == 0x8E || u[2] == 0x8F || (u[2] >= 0xA8 && u[2] <= 0xAE);
	return u[1] == 0x81 && u[2] >= 0xA6 && u[2] <= 0xA9;
}

/* bytes: invalid UTF-8 as one \udcNN per byte (reversible), else \ufffd per sequence. */
static lt_status write_string(buf *out, const char *s, size_t n, bool bytes)
{
	const char *p = s, *end = s + n;
	lt_status st = buf_putc(out, '"');
	while (st == LT_OK && p < end) {
		const char *r = scan_plain(p, end);
		st = put(out, p, (size_t)(r - p));
		p = r;
		if (st != LT_OK || p == end)
			break;
		const unsigned char *u = (const unsigned char *)p;
		if (u[0] < 0x80) {
			st = put_escape(out, u[0]);
			p++;
			continue;
		}
		int k = utf8_seq(u, (const unsigned char *)end);
		if (k < 0 && bytes) {
			for (int j = 0; j < -k && st == LT_OK; j++) {
				char esc[8];
				snprintf(esc, sizeof esc, "\\udc%02x", u[j]);
				st = put(out, esc, 6);
			}
			p += -k;
		} else if (k < 0) {
			st = put(out, "\\ufffd", 6);
			p += -k;
		} else if (k == 3 && escaped_format_char(u)) {
			char esc[8];
			unsigned cp = ((unsigned)(u[0] & 0x0F) << 12) | ((unsigned)(u[1] & 0x3F) << 6) | (u[2] & 0x3Fu);
			snprintf(esc, sizeof esc, "\\u%04x", cp);
			st = put(out, esc, 6);
			p += 3;
		} else {
			st = put(out, p, (size_t)k);
			p += k;
		}
	}
	if (st == LT_OK)
		st = buf_putc(out, '"');
	return st;
}

lt_status json_write_string(buf *out, const char *s, size_t n)
{
	return write_string(out, s, n, false);
}

lt_status json_write_string_bytes(buf *out, const char *s, size_t n)
{
	return write_string(out, s, n, true);
}

static lt_status write_newline(buf *out, int indent, int level)
{
	if (indent <= 0)
		return LT_OK;
	lt_status st = buf_putc(out, '\n');
	for (long i = 0; st == LT_OK && i < (long)indent * level; i++)
		st = buf_putc(out, ' ');
	return st;
}

static lt_status write_value(buf *out, const json_value *v, int indent, int level)
{
	if (level > WRITE_MAX_DEPTH)
		return LT_EITEM;
	lt_status st = LT_OK;
	bool obj = v->type == JSON_OBJECT;
	switch (v->type) {
	case JSON_NULL: return put(out, "null", 4);
	case JSON_FALSE: return put(out, "false", 5);
	case JSON_TRUE: return put(out, "true", 4);
	case JSON_NUMBER: return put(out, v->u.s, v->len);
	case JSON_STRING: return json_write_string(out, v->u.s, v->len);
	case JSON_ARRAY:
	case JSON_OBJECT:
		break;
	default:
		return LT_EITEM;
	}
	st = buf_putc(out, obj ? '{' : '[');
	for (size_t i = 0; st == LT_OK && i < v->len; i++) {
		if (i > 0)
			st = buf_putc(out, ',');
		if (st == LT_OK)
			st = write_newline(out, indent, level + 1);
		const json_value *child = obj ? &v->u.members[i].value : &v->u.items[i];
		if (obj && st == LT_OK) {
			st = json_write_string(out, v->u.members[i].key, v->u.members[i].key_len);
			if (st == LT_OK)
				st = indent > 0 ? put(out, ": ", 2) : buf_putc(out, ':');
		}
		if (st == LT_OK)
			st = write_value(out, child, indent, level + 1);
	}
	if (st == LT_OK && v->len > 0)
		st = write_newline(out, indent, level);
	if (st == LT_OK)
		st = buf_putc(out, obj ? '}' : ']');
	return st;
}

lt_status json_write(buf *out, const json_value *v, int indent)
{
	if (v == NULL)
		return LT_EITEM;
	return write_value(out, v, indent, 0);
}

const char *json_type_name(json_type t)
{
	switch (t) {
	case JSON_NULL: return "null";
	case JSON_FALSE: return "false";
	case JSON_TRUE: return "true";
	case JSON_NUMBER: return "number";
	case JSON_STRING: return "string";
	case JSON_ARRAY: return "array";
	case JSON_OBJECT: return "object";
	}
	return "unknown";
}
