/*
 * sigma_value.c — Sigma value modifiers and matchers (see sigma_value.h).
 *
 * Compiling an item runs in three steps. (1) Each modifier name is looked up
 * in `modifiers[]`; flag and type modifiers record what they mean (contains,
 * cased, re, cidr, ...), unknown or time modifiers make the rule unsupported.
 * (2) Every value written in the rule becomes a group of patterns: bytes with
 * a wildcard mask, so that transformations (windash permutations, base64,
 * base64offset's three shifts, UTF-16 encodings) work on literals without
 * confusing them with `*`/`?`; `expand` substitutes placeholders first.
 * (3) Each pattern becomes a matcher whose match function comes from the
 * table entry of the item's type. Exact/contains/startswith/endswith keep one
 * lowercased literal and fold the event text on the fly (no copies); other
 * shapes use a linear-time glob. Every matcher that can only match text
 * holding some literal exposes it for the engine's prefilter. Regexes are
 * compiled once with PCRE2 (UTF, invalid UTF-8 tolerated) and JIT.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "analyzers/sigma/sigma_value.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define MAX_VARIANTS 4096u

enum {
	F_CONTAINS = 1u << 0,
	F_STARTS = 1u << 1,
	F_ENDS = 1u << 2,
	F_ALL = 1u << 3,
	F_CASED = 1u << 4,
	F_NEQ = 1u << 5,
	F_EXPAND = 1u << 6,
	F_RE_I = 1u << 7,
	F_RE_M = 1u << 8,
	F_RE_S = 1u << 9,
	F_TRANSFORM = 1u << 10
};

enum phase { PH_FLAG = 0, PH_TYPE, PH_RESUB, PH_TRANSFORM, PH_UNSUPPORTED };

typedef struct pat {
	uint8_t *b;
	uint8_t *w; /* 0 literal, '*' or '?' */
	size_t n;
} pat;

typedef struct pgroup {
	pat *p;
	size_t n;
} pgroup;

typedef struct modifier modifier;

typedef struct cstate {
	const sigma_vcompile_env *env;
	unsigned flags;
	const modifier *type; /* NULL: plain string matching */
	pgroup *g;
	size_t ng;
	lt_error *err;
	bool *unsupported;
} cstate;

struct modifier {
	const char *name;
	int phase;
	unsigned arg;
	/* PH_FLAG/PH_TYPE/PH_RESUB: validates and records; PH_TRANSFORM: rewrites cs->g */
	lt_status (*compile)(cstate *cs, const modifier *self);
	sigma_match_fn match; /* PH_TYPE: matcher of the values */
};

/* ---------------------------------------------------------------- text helpers */

static uint8_t lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool eq_bytes(const char *a, const char *b, size_t n, bool cased)
{
	if (cased)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (lc((uint8_t)a[i]) != (uint8_t)b[i])
			return false;
	return true;
}

/* Position of needle (already lowercased unless cased) in hay, or SIZE_MAX. */
static size_t find_bytes(const char *h, size_t hn, const char *nd, size_t nn, bool cased)
{
	if (nn == 0)
		return 0;
	if (nn > hn)
		return SIZE_MAX;
	uint8_t first = (uint8_t)nd[0];
	for (size_t i = 0; i + nn <= hn; i++) {
		uint8_t c = cased ? (uint8_t)h[i] : lc((uint8_t)h[i]);
		if (c == first && eq_bytes(h + i + 1, nd + 1, nn - 1, cased))
			return i;
	}
	return SIZE_MAX;
}

static size_t utf8_len(uint8_t c)
{
	if (c < 0xC0)
		return 1;
	return c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Anchored glob over the whole value; '?' is one UTF-8 character. */
static bool glob(const char *s, size_t sn, const char *p, const uint8_t *w, size_t pn, bool cased)
{
	size_t si = 0, pi = 0, star = SIZE_MAX, mark = 0;
	while (si < sn) {
		if (pi < pn && w[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && w[pi] == '?') {
			size_t l = utf8_len((uint8_t)s[si]);
			si += l <= sn - si ? l : sn - si;
			pi++;
		} else if (pi < pn && (cased ? s[si] == p[pi] : lc((uint8_t)s[si]) == (uint8_t)p[pi])) {
			si++;
			pi++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && w[pi] == '*')
		pi++;
	return pi == pn;
}

/* ---------------------------------------------------------------- matchers */

static bool match_string(const sigma_matcher *m, const sigma_fval *v, sigma_mctx *mc, size_t *so,
                         size_t *eo)
{
	(void)mc;
	if (v->s == NULL)
		return false;
	size_t pos;
	switch (m->mode) {
	case SIGMA_S_EXACT:
		if (v->n != m->n || !eq_bytes(v->s, m->lit, m->n, m->cased))
			return false;
		pos = 0;
		break;
	case SIGMA_S_CONTAINS:
		pos = find_bytes(v->s, v->n, m->lit, m->n, m->cased);
		if (pos == SIZE_MAX)
			return false;
		break;
	case SIGMA_S_STARTS:
		if (v->n < m->n || !eq_bytes(v->s, m->lit, m->n, m->cased))
			return false;
		pos = 0;
		break;
	case SIGMA_S_ENDS:
		if (v->n < m->n || !eq_bytes(v->s + v->n - m->n, m->lit, m->n, m->cased))
			return false;
		pos = v->n - m->n;
		break;
	default:
		if (!glob(v->s, v->n, m->lit, m->wild, m->n, m->cased))
			return false;
		*so = 0;
		*eo = v->n;
		return true;
	}
	*so = pos;
	*eo = pos + m->n;
	return true;
}

static bool match_re(const sigma_matcher *m, const sigma_fval *v, sigma_mctx *mc, size_t *so,
                     size_t *eo)
{
	if (v->s == NULL)
		return false;
	pcre2_match_data *md = mc->match_data;
	unsigned need = m->valid && m->valid->min_matches > 1 ? m->valid->min_matches : 1, got = 0;
	PCRE2_SIZE start = 0;
	int rc = 0;
	for (unsigned iter = 0; iter < SIGMA_EXT_MAX_MATCHES && start <= v->n; iter++) {
		rc = pcre2_match(m->re, (PCRE2_SPTR)v->s, v->n, start, 0, md, mc->match_ctx);
		if (rc < 0)
			break;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		if (m->valid == NULL || sigma_ext_accept(m->valid, v->s, ov, pcre2_get_ovector_count(md))) {
			if (got++ == 0) {
				*so = ov[0];
				*eo = ov[1] >= ov[0] ? ov[1] : ov[0];
			}
			if (got >= need)
				return true;
		}
		if (m->valid == NULL)
			return true;
		start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
	if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH)
		return false;
	if (rc == PCRE2_ERROR_MATCHLIMIT)
		mc->error = "regular expression exceeded its match limit";
	else if (rc == PCRE2_ERROR_DEPTHLIMIT)
		mc->error = "regular expression exceeded its depth limit";
	else if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
		mc->error = "regular expression exceeded its JIT stack";
	else
		mc->error = "regular expression match failed";
	return false;
}

static bool parse_ip(const char *s, size_t n, uint8_t addr[16], int *family)
{
	char tmp[64];
	if (n == 0 || n >= sizeof tmp)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *zone = strchr(tmp, '%');
	if (zone != NULL)
		*zone = '\0';
	if (inet_pton(AF_INET, tmp, addr) == 1) {
		*family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, tmp, addr) == 1) {
		*family = 6;
		return true;
	}
	return false;
}

static bool match_cidr(const sigma_matcher *m, const sigma_fval *v, sigma_mctx *mc, size_t *so,
                       size_t *eo)
{
	(void)mc;
	uint8_t a[16];
	int fam;
	if (v->s == NULL || !parse_ip(v->s, v->n, a, &fam) || fam != m->family)
		return false;
	unsigned full = m->bits / 8, rest = m->bits % 8;
	if (memcmp(a, m->addr, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xFFu << (8 - rest));
		if ((a[full] & mask) != (m->addr[full] & mask))
			return false;
	}
	*so = 0;
	*eo = v->n;
	return true;
}

static bool to_number(const char *s, size_t n, double *out)
{
	char tmp[64];
	if (s == NULL || n == 0 || n >= sizeof tmp)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *end;
	double d = strtod(tmp, &end);
	if (*end != '\0' || tmp[0] == ' ' || isnan(d))
		return false;
	*out = d;
	return true;
}

static bool match_cmp(const sigma_matcher *m, const sigma_fval *v, sigma_mctx *mc, size_t *so,
                      size_t *eo)
{
	(void)mc;
	double d;
	if ((v->type != JSON_NUMBER && v->type != JSON_STRING) || !to_number(v->s, v->n, &d))
		return false;
	bool ok = m->cmp == -2 ? d < m->num : m->cmp == -1 ? d <= m->num : m->cmp == 1 ? d >= m->num
	                                                                                : d > m->num;
	if (ok) {
		*so = 0;
		*eo = v->n;
	}
	return ok;
}

/* Both sides as found in events: fold both. */
static bool strncasecmp_bytes(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lc((uint8_t)a[i]) != lc((uint8_t)b[i]))
			return false;
	return true;
}

static bool match_fieldref(const sigma_matcher *m, const sigma_fval *v, sigma_mctx *mc, size_t *so,
                           size_t *eo)
{
	if (v->s == NULL || mc->field_values == NULL)
		return false;
	const sigma_fval *ref;
	size_t nref = mc->field_values(mc->ctx, m->ref_field, &ref);
	for (size_t i = 0; i < nref; i++) {
		const char *r = ref[i].s;
		size_t rn = ref[i].n;
		if (r == NULL)
			continue;
		bool ok = false;
		size_t pos = 0;
		switch (m->mode) {
		case SIGMA_S_CONTAINS:
			for (size_t p = 0; !ok && p + rn <= v->n; p++)
				if (m->cased ? memcmp(v->s + p, r, rn) == 0
				             : strncasecmp_bytes(v->s + p, r, rn))
					ok = true, pos = p;
			break;
		case SIGMA_S_STARTS:
			ok = rn <= v->n && (m->cased ? memcmp(v->s, r, rn) == 0 : strncasecmp_bytes(v->s, r, rn));
			break;
		case SIGMA_S_ENDS:
			pos = rn <= v->n ? v->n - rn : 0;
			ok = rn <= v->n &&
			     (m->cased ? memcmp(v->s + pos, r, rn) == 0 : strncasecmp_bytes(v->s + pos, r, rn));
			break;
		default:
			ok = rn == v->n && (m->cased ? memcmp(v->s, r, rn) == 0 : strncasecmp_bytes(v->s, r, rn));
		}
		if (ok) {
			*so = pos;
			*eo = pos + rn;
			return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------------- modifier table */

static lt_status set_flag(cstate *cs, const modifier *self)
{
	if ((self->arg & (F_CONTAINS | F_STARTS | F_ENDS)) &&
	    (cs->flags & (F_CONTAINS | F_STARTS | F_ENDS)))
		return lt_error_set(cs->err, LT_EITEM, "modifier '%s' conflicts with another position modifier",
		                    self->name);
	cs->flags |= self->arg;
	return LT_OK;
}

static lt_status set_type(cstate *cs, const modifier *self)
{
	if (cs->type != NULL)
		return lt_error_set(cs->err, LT_EITEM, "modifiers '%s' and '%s' cannot be combined",
		                    cs->type->name, self->name);
	cs->type = self;
	return LT_OK;
}

static lt_status set_re_flag(cstate *cs, const modifier *self)
{
	if (cs->type == NULL || strcmp(cs->type->name, "re") != 0)
		return lt_error_set(cs->err, LT_EITEM, "modifier '%s' is only valid after 're'", self->name);
	cs->flags |= self->arg;
	return LT_OK;
}

static lt_status not_supported(cstate *cs, const modifier *self)
{
	*cs->unsupported = true;
	return lt_error_set(cs->err, LT_EITEM, "time modifier '%s' is not supported", self->name);
}

static lt_status tf_windash(cstate *cs, const modifier *self);
static lt_status tf_base64(cstate *cs, const modifier *self);
static lt_status tf_base64offset(cstate *cs, const modifier *self);
static lt_status tf_utf16(cstate *cs, const modifier *self);

enum { ENC_LE = 0, ENC_BE = 1, ENC_BOM = 2 };

static const modifier modifiers[] = {
	{"contains", PH_FLAG, F_CONTAINS, set_flag, NULL},
	{"startswith", PH_FLAG, F_STARTS, set_flag, NULL},
	{"endswith", PH_FLAG, F_ENDS, set_flag, NULL},
	{"all", PH_FLAG, F_ALL, set_flag, NULL},
	{"cased", PH_FLAG, F_CASED, set_flag, NULL},
	{"neq", PH_FLAG, F_NEQ, set_flag, NULL},
	{"expand", PH_FLAG, F_EXPAND, set_flag, NULL},
	{"windash", PH_TRANSFORM, 0, tf_windash, NULL},
	{"base64", PH_TRANSFORM, 0, tf_base64, NULL},
	{"base64offset", PH_TRANSFORM, 0, tf_base64offset, NULL},
	{"utf16le", PH_TRANSFORM, ENC_LE, tf_utf16, NULL},
	{"wide", PH_TRANSFORM, ENC_LE, tf_utf16, NULL},
	{"utf16be", PH_TRANSFORM, ENC_BE, tf_utf16, NULL},
	{"utf16", PH_TRANSFORM, ENC_BOM, tf_utf16, NULL},
	{"re", PH_TYPE, 0, set_type, match_re},
	{"i", PH_RESUB, F_RE_I, set_re_flag, NULL},
	{"m", PH_RESUB, F_RE_M, set_re_flag, NULL},
	{"s", PH_RESUB, F_RE_S, set_re_flag, NULL},
	{"cidr", PH_TYPE, 0, set_type, match_cidr},
	{"lt", PH_TYPE, (unsigned)-2, set_type, match_cmp},
	{"lte", PH_TYPE, (unsigned)-1, set_type, match_cmp},
	{"gte", PH_TYPE, 1, set_type, match_cmp},
	{"gt", PH_TYPE, 2, set_type, match_cmp},
	{"exists", PH_TYPE, 0, set_type, NULL},
	{"fieldref", PH_TYPE, 0, set_type, match_fieldref},
	{"minute", PH_UNSUPPORTED, 0, not_supported, NULL},
	{"hour", PH_UNSUPPORTED, 0, not_supported, NULL},
	{"day", PH_UNSUPPORTED, 0, not_supported, NULL},
	{"week", PH_UNSUPPORTED, 0, not_supported, NULL},
	{"month", PH_UNSUPPORTED, 0, not_supported, NULL},
	{"year", PH_UNSUPPORTED, 0, not_supported, NULL},
	{NULL, 0, 0, NULL, NULL},
};

const char *sigma_modifier_name(size_t i)
{
	return i < sizeof modifiers / sizeof modifiers[0] ? modifiers[i].name : NULL;
}

static const modifier *find_modifier(const char *name)
{
	for (const modifier *m = modifiers; m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

/* ---------------------------------------------------------------- patterns */

static lt_status oom(cstate *cs)
{
	return lt_error_set(cs->err, LT_EFATAL, "out of memory compiling a rule");
}

static bool pat_alloc(arena *a, pat *p, size_t n)
{
	p->b = arena_alloc(a, n + 1);
	p->w = arena_calloc(a, n + 1);
	p->n = n;
	return p->b != NULL && p->w != NULL;
}

/* Sigma plain value -> pattern: `\*`, `\?`, `\\` escape; a lone `\` is literal. */
static bool parse_plain(arena *a, const char *s, size_t n, pat *out)
{
	if (!pat_alloc(a, out, n))
		return false;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < n && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
			out->b[k] = (uint8_t)s[++i];
			out->w[k++] = 0;
		} else if (c == '*' || c == '?') {
			out->b[k] = (uint8_t)c;
			out->w[k++] = (uint8_t)c;
		} else {
			out->b[k] = (uint8_t)c;
			out->w[k++] = 0;
		}
	}
	out->n = k;
	return true;
}

static bool pat_has_wild(const pat *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->w[i])
			return true;
	return false;
}

/* Appends variant v to group g (arena-grown). */
static bool group_push(arena *a, pgroup *g, size_t *cap, const pat *v)
{
	if (g->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		pat *np = arena_alloc(a, nc * sizeof *np);
		if (np == NULL)
			return false;
		if (g->n)
			memcpy(np, g->p, g->n * sizeof *np);
		g->p = np;
		*cap = nc;
	}
	g->p[g->n++] = *v;
	return true;
}

static bool isword(uint8_t c)
{
	return c >= 0x80 || c == '_' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

static const char *const dashes[] = {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"};

/* Positions where windash applies: a '-' or '/' not preceded by a word character
 * and followed by one (pySigma's \B[-/]\b). */
static size_t windash_positions(const pat *p, size_t *pos, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (p->w[i] || (p->b[i] != '-' && p->b[i] != '/'))
			continue;
		bool before = i > 0 && !p->w[i - 1] && isword(p->b[i - 1]);
		bool after = i + 1 < p->n && !p->w[i + 1] && isword(p->b[i + 1]);
		if (!before && after) {
			if (k < cap)
				pos[k] = i;
			k++;
		}
	}
	return k;
}

static lt_status tf_windash(cstate *cs, const modifier *self)
{
	(void)self;
	arena *a = cs->env->a;
	for (size_t gi = 0; gi < cs->ng; gi++) {
		pgroup out = {NULL, 0};
		size_t cap = 0;
		for (size_t vi = 0; vi < cs->g[gi].n; vi++) {
			const pat *p = &cs->g[gi].p[vi];
			size_t pos[8];
			size_t k = windash_positions(p, pos, 8);
			size_t total = 1;
			for (size_t i = 0; i < k && total <= MAX_VARIANTS; i++)
				total *= 5;
			if (k > 8 || total * cs->g[gi].n > MAX_VARIANTS) {
				*cs->unsupported = true;
				return lt_error_set(cs->err, LT_EITEM, "windash: too many permutations (%zu flags)", k);
			}
			for (size_t combo = 0; combo < total; combo++) {
				pat v;
				if (!pat_alloc(a, &v, p->n + 2 * k))
					return oom(cs);
				size_t o = 0, c = combo, next = 0;
				for (size_t i = 0; i < p->n; i++) {
					if (next < k && pos[next] == i) {
						const char *d = dashes[c % 5];
						c /= 5;
						next++;
						for (size_t j = 0; d[j]; j++) {
							v.b[o] = (uint8_t)d[j];
							v.w[o++] = 0;
						}
					} else {
						v.b[o] = p->b[i];
						v.w[o++] = p->w[i];
					}
				}
				v.n = o;
				if (!group_push(a, &out, &cap, &v))
					return oom(cs);
			}
		}
		cs->g[gi] = out;
	}
	return LT_OK;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0, i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	return o;
}

static bool literal_pat(arena *a, const char *s, size_t n, pat *out)
{
	if (!pat_alloc(a, out, n))
		return false;
	memcpy(out->b, s, n);
	return true;
}

static lt_status need_literal(cstate *cs, const pat *p, const char *name)
{
	if (pat_has_wild(p))
		return lt_error_set(cs->err, LT_EITEM, "modifier '%s' cannot encode a value with wildcards",
		                    name);
	return LT_OK;
}

static lt_status tf_base64(cstate *cs, const modifier *self)
{
	arena *a = cs->env->a;
	for (size_t gi = 0; gi < cs->ng; gi++)
		for (size_t vi = 0; vi < cs->g[gi].n; vi++) {
			pat *p = &cs->g[gi].p[vi];
			lt_status st = need_literal(cs, p, self->name);
			if (st != LT_OK)
				return st;
			char *enc = arena_alloc(a, (p->n / 3 + 2) * 4);
			if (enc == NULL)
				return oom(cs);
			size_t en = b64_encode(p->b, p->n, enc);
			if (!literal_pat(a, enc, en, p))
				return oom(cs);
		}
	return LT_OK;
}

/* pySigma's three shifted encodings: i leading bytes, then trim the
 * characters that depend on the unknown neighbours. */
static lt_status tf_base64offset(cstate *cs, const modifier *self)
{
	static const size_t start_off[3] = {0, 2, 3};
	static const size_t end_trim[3] = {0, 3, 2};
	arena *a = cs->env->a;
	for (size_t gi = 0; gi < cs->ng; gi++) {
		pgroup out = {NULL, 0};
		size_t cap = 0;
		for (size_t vi = 0; vi < cs->g[gi].n; vi++) {
			const pat *p = &cs->g[gi].p[vi];
			lt_status st = need_literal(cs, p, self->name);
			if (st != LT_OK)
				return st;
			for (size_t i = 0; i < 3; i++) {
				uint8_t *in = arena_alloc(a, p->n + 3);
				char *enc = arena_alloc(a, ((p->n + 3) / 3 + 2) * 4);
				if (in == NULL || enc == NULL)
					return oom(cs);
				memset(in, ' ', i);
				memcpy(in + i, p->b, p->n);
				size_t en = b64_encode(in, p->n + i, enc);
				size_t trim = end_trim[(p->n + i) % 3];
				if (en < start_off[i] + trim + 1)
					continue;
				pat v;
				if (!literal_pat(a, enc + start_off[i], en - start_off[i] - trim, &v) ||
				    !group_push(a, &out, &cap, &v))
					return oom(cs);
			}
		}
		if (out.n == 0)
			return lt_error_set(cs->err, LT_EITEM, "base64offset: value too short");
		cs->g[gi] = out;
	}
	return LT_OK;
}

/* Next code point of UTF-8 (invalid bytes stand for themselves). */
static uint32_t utf8_next(const uint8_t *s, size_t n, size_t *i)
{
	uint8_t c = s[*i];
	size_t l = utf8_len(c);
	if (c < 0x80 || c < 0xC0 || *i + l > n) {
		(*i)++;
		return c;
	}
	uint32_t cp = c & (l == 2 ? 0x1Fu : l == 3 ? 0x0Fu : 0x07u);
	for (size_t k = 1; k < l; k++) {
		if ((s[*i + k] & 0xC0) != 0x80) {
			(*i)++;
			return c;
		}
		cp = cp << 6 | (s[*i + k] & 0x3Fu);
	}
	*i += l;
	return cp;
}

static void put16(pat *v, size_t *o, uint16_t u, int enc)
{
	uint8_t hi = (uint8_t)(u >> 8), lo = (uint8_t)u;
	v->b[(*o)] = enc == ENC_BE ? hi : lo;
	v->w[(*o)++] = 0;
	v->b[(*o)] = enc == ENC_BE ? lo : hi;
	v->w[(*o)++] = 0;
}

static lt_status tf_utf16(cstate *cs, const modifier *self)
{
	arena *a = cs->env->a;
	for (size_t gi = 0; gi < cs->ng; gi++)
		for (size_t vi = 0; vi < cs->g[gi].n; vi++) {
			pat *p = &cs->g[gi].p[vi];
			pat v;
			if (!pat_alloc(a, &v, p->n * 4 + 2))
				return oom(cs);
			size_t o = 0;
			if (self->arg == ENC_BOM)
				put16(&v, &o, 0xFEFF, ENC_LE);
			for (size_t i = 0; i < p->n;) {
				if (p->w[i]) {
					v.b[o] = p->b[i];
					v.w[o++] = p->w[i++];
					continue;
				}
				uint32_t cp = utf8_next(p->b, p->n, &i);
				int enc = self->arg == ENC_BE ? ENC_BE : ENC_LE;
				if (cp >= 0x10000) {
					cp -= 0x10000;
					put16(&v, &o, (uint16_t)(0xD800 + (cp >> 10)), enc);
					put16(&v, &o, (uint16_t)(0xDC00 + (cp & 0x3FF)), enc);
				} else {
					put16(&v, &o, (uint16_t)cp, enc);
				}
			}
			v.n = o;
			*p = v;
		}
	return LT_OK;
}

/* ---------------------------------------------------------------- expand */

typedef struct strv {
	char **s;
	size_t *n;
	size_t len, cap;
} strv;

static bool strv_push(arena *a, strv *v, char *s, size_t n)
{
	if (v->len == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 4;
		char **ns = arena_alloc(a, nc * sizeof *ns);
		size_t *nn = arena_alloc(a, nc * sizeof *nn);
		if (ns == NULL || nn == NULL)
			return false;
		if (v->len) {
			memcpy(ns, v->s, v->len * sizeof *ns);
			memcpy(nn, v->n, v->len * sizeof *nn);
		}
		v->s = ns;
		v->n = nn;
		v->cap = nc;
	}
	v->s[v->len] = s;
	v->n[v->len++] = n;
	return true;
}

/* Appends piece to every partial string in v. */
static bool strv_append(arena *a, strv *v, const char *piece, size_t pn)
{
	for (size_t i = 0; i < v->len; i++) {
		char *ns = arena_alloc(a, v->n[i] + pn + 1);
		if (ns == NULL)
			return false;
		memcpy(ns, v->s[i], v->n[i]);
		memcpy(ns + v->n[i], piece, pn);
		ns[v->n[i] + pn] = '\0';
		v->s[i] = ns;
		v->n[i] += pn;
	}
	return true;
}

static lt_status expand_value(cstate *cs, const char *s, size_t n, strv *out)
{
	arena *a = cs->env->a;
	if (!strv_push(a, out, (char *)(uintptr_t)"", 0))
		return oom(cs);
	size_t i = 0;
	while (i < n) {
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == '%') {
			if (!strv_append(a, out, "%", 1))
				return oom(cs);
			i += 2;
			continue;
		}
		const char *close = s[i] == '%' ? memchr(s + i + 1, '%', n - i - 1) : NULL;
		if (close == NULL) {
			if (!strv_append(a, out, s + i, 1))
				return oom(cs);
			i++;
			continue;
		}
		size_t nl = (size_t)(close - (s + i + 1));
		char name[128];
		if (nl == 0 || nl >= sizeof name)
			return lt_error_set(cs->err, LT_EITEM, "expand: bad placeholder name");
		memcpy(name, s + i + 1, nl);
		name[nl] = '\0';
		size_t nvals = 0;
		const char *const *vals =
		    cs->env->placeholder ? cs->env->placeholder(cs->env->ctx, name, &nvals) : NULL;
		if (vals == NULL || nvals == 0) {
			*cs->unsupported = true;
			return lt_error_set(cs->err, LT_EITEM,
			                    "expand: placeholder %%%s%% has no values (give a placeholders file)",
			                    name);
		}
		if (out->len * nvals > MAX_VARIANTS)
			return lt_error_set(cs->err, LT_EITEM, "expand: too many combinations");
		strv next = {NULL, NULL, 0, 0};
		for (size_t k = 0; k < out->len; k++)
			for (size_t j = 0; j < nvals; j++) {
				size_t vl = strlen(vals[j]);
				char *ns = arena_alloc(a, out->n[k] + vl + 1);
				if (ns == NULL)
					return oom(cs);
				memcpy(ns, out->s[k], out->n[k]);
				memcpy(ns + out->n[k], vals[j], vl + 1);
				if (!strv_push(a, &next, ns, out->n[k] + vl))
					return oom(cs);
			}
		*out = next;
		i += nl + 2;
	}
	return LT_OK;
}

/* ---------------------------------------------------------------- matcher building */

/* Longest run of literal bytes in p[from..to). */
static void longest_run(const pat *p, size_t from, size_t to, size_t *start, size_t *len)
{
	*start = 0;
	*len = 0;
	size_t i = from;
	while (i < to) {
		while (i < to && p->w[i])
			i++;
		size_t s = i;
		while (i < to && !p->w[i])
			i++;
		if (i - s > *len) {
			*start = s;
			*len = i - s;
		}
	}
}

static lt_status build_string(cstate *cs, const pat *p, bool ref, sigma_matcher *m)
{
	arena *a = cs->env->a;
	bool cased = (cs->flags & F_CASED) != 0;
	bool lead = (cs->flags & (F_CONTAINS | F_ENDS)) != 0;
	bool trail = (cs->flags & (F_CONTAINS | F_STARTS)) != 0;
	size_t from = 0, to = p->n;
	if (!ref) {
		while (from < to && p->w[from] == '*')
			from++, lead = true;
		while (to > from && p->w[to - 1] == '*')
			to--, trail = true;
	}
	bool wild = false;
	for (size_t i = from; i < to && !ref; i++)
		wild = wild || p->w[i];
	m->cased = cased;
	m->mode = wild ? SIGMA_S_GLOB
	               : lead && trail ? SIGMA_S_CONTAINS
	                               : lead ? SIGMA_S_ENDS : trail ? SIGMA_S_STARTS : SIGMA_S_EXACT;
	size_t n = (to - from) + (wild && lead) + (wild && trail);
	char *lit = arena_alloc(a, n + 1);
	uint8_t *w = wild ? arena_calloc(a, n + 1) : NULL;
	if (lit == NULL || (wild && w == NULL))
		return oom(cs);
	size_t o = 0;
	if (wild && lead) {
		lit[o] = '*';
		w[o++] = '*';
	}
	for (size_t i = from; i < to; i++) {
		lit[o] = cased ? (char)p->b[i] : (char)lc(p->b[i]);
		if (w)
			w[o] = p->w[i];
		o++;
	}
	if (wild && trail) {
		lit[o] = '*';
		w[o++] = '*';
	}
	lit[o] = '\0';
	m->lit = lit;
	m->wild = w;
	m->n = o;
	m->match = match_string;
	size_t rs, rl;
	longest_run(p, from, to, &rs, &rl);
	if (rl > 0) {
		char *pf = arena_strndup(a, (const char *)p->b + rs, rl);
		if (pf == NULL)
			return oom(cs);
		m->prefilter = pf;
		m->prefilter_n = rl;
	}
	return LT_OK;
}

static lt_status build_re(cstate *cs, const sigma_ynode *v, sigma_matcher *m)
{
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	if (cs->flags & F_RE_I)
		opts |= PCRE2_CASELESS;
	if (cs->flags & F_RE_M)
		opts |= PCRE2_MULTILINE;
	if (cs->flags & F_RE_S)
		opts |= PCRE2_DOTALL;
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)v->s, v->n, opts, &ec, &eo, NULL);
	if (re == NULL) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(ec, msg, sizeof msg);
		lt_error_where(cs->err, NULL, NULL, v->line);
		return lt_error_set(cs->err, LT_EITEM, "re: %s at offset %zu", (const char *)msg, (size_t)eo);
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* the interpreter is the fallback */
	lt_status st = cs->env->keep(cs->env->ctx, re);
	if (st != LT_OK) {
		pcre2_code_free(re);
		return oom(cs);
	}
	m->re = re;
	m->match = match_re;
	char lbuf[256];
	size_t ln = sigma_re_literal(v->s, (cs->flags & F_RE_I) != 0, lbuf, sizeof lbuf);
	if (ln > 0) {
		char *pf = arena_strndup(cs->env->a, lbuf, ln);
		if (pf == NULL)
			return oom(cs);
		m->prefilter = pf;
		m->prefilter_n = ln;
	}
	return LT_OK;
}

static lt_status build_cidr(cstate *cs, const sigma_ynode *v, sigma_matcher *m)
{
	const char *slash = strchr(v->s, '/');
	size_t an = slash ? (size_t)(slash - v->s) : v->n;
	if (!parse_ip(v->s, an, m->addr, &m->family))
		return lt_error_set(cs->err, LT_EITEM, "cidr: '%s' is not an IPv4 or IPv6 network", v->s);
	unsigned max = m->family == 4 ? 32 : 128;
	m->bits = max;
	if (slash) {
		char *end;
		long b = strtol(slash + 1, &end, 10);
		if (*end != '\0' || slash[1] == '\0' || b < 0 || b > (long)max)
			return lt_error_set(cs->err, LT_EITEM, "cidr: bad prefix length in '%s'", v->s);
		m->bits = (unsigned)b;
	}
	m->match = match_cidr;
	return LT_OK;
}

static lt_status build_typed(cstate *cs, const sigma_ynode *v, sigma_matcher *m)
{
	const char *t = cs->type->name;
	if (strcmp(t, "re") == 0)
		return build_re(cs, v, m);
	if (strcmp(t, "cidr") == 0)
		return build_cidr(cs, v, m);
	if (strcmp(t, "fieldref") == 0) {
		lt_status st = cs->env->field(cs->env->ctx, v->s, &m->ref_field);
		if (st != LT_OK)
			return lt_error_set(cs->err, st, "fieldref: cannot resolve field '%s'", v->s);
		pat dummy = {NULL, NULL, 0};
		m->mode = (cs->flags & F_CONTAINS) ? SIGMA_S_CONTAINS
		          : (cs->flags & F_STARTS) ? SIGMA_S_STARTS
		          : (cs->flags & F_ENDS)   ? SIGMA_S_ENDS
		                                   : SIGMA_S_EXACT;
		(void)dummy;
		m->cased = (cs->flags & F_CASED) != 0;
		m->match = match_fieldref;
		return LT_OK;
	}
	/* lt/lte/gt/gte */
	if (v->quoted || !to_number(v->s, v->n, &m->num))
		return lt_error_set(cs->err, LT_EITEM, "%s: '%s' is not a number", t, v->s);
	m->cmp = (int)cs->type->arg;
	m->match = match_cmp;
	return LT_OK;
}

static lt_status string_groups(cstate *cs, const sigma_ynode *const *vals, size_t nv)
{
	arena *a = cs->env->a;
	for (size_t i = 0; i < nv; i++) {
		if (sigma_yaml_is_null(vals[i]))
			continue;
		strv sv = {NULL, NULL, 0, 0};
		if (cs->flags & F_EXPAND) {
			lt_status st = expand_value(cs, vals[i]->s, vals[i]->n, &sv);
			if (st != LT_OK)
				return st;
		} else if (!strv_push(a, &sv, (char *)(uintptr_t)vals[i]->s, vals[i]->n)) {
			return oom(cs);
		}
		pgroup *g = &cs->g[cs->ng++];
		size_t cap = 0;
		for (size_t k = 0; k < sv.len; k++) {
			pat p;
			if (!parse_plain(a, sv.s[k], sv.n[k], &p) || !group_push(a, g, &cap, &p))
				return oom(cs);
		}
	}
	return LT_OK;
}

static lt_status collect_values(cstate *cs, const sigma_ynode *value, const sigma_ynode ***vals,
                                size_t *nv)
{
	if (value->type == SIGMA_Y_SEQ) {
		*vals = (const sigma_ynode **)(void *)value->items;
		*nv = value->len;
	} else {
		*vals = arena_alloc(cs->env->a, sizeof **vals);
		if (*vals == NULL)
			return oom(cs);
		(*vals)[0] = value;
		*nv = 1;
	}
	if (*nv == 0)
		return lt_error_set(cs->err, LT_EITEM, "empty list of values");
	for (size_t i = 0; i < *nv; i++)
		if ((*vals)[i]->type != SIGMA_Y_SCALAR) {
			lt_error_where(cs->err, NULL, NULL, (*vals)[i]->line);
			return lt_error_set(cs->err, LT_EITEM, "a value must be a scalar, not a %s",
			                    (*vals)[i]->type == SIGMA_Y_MAP ? "map" : "list");
		}
	return LT_OK;
}

static lt_status parse_mods(cstate *cs, const char *const *mods, size_t nmods, const modifier **tf,
                            size_t *ntf)
{
	*ntf = 0;
	for (size_t i = 0; i < nmods; i++) {
		const modifier *m = find_modifier(mods[i]);
		if (m == NULL) {
			*cs->unsupported = true;
			return lt_error_set(cs->err, LT_EITEM, "unknown modifier '%s'", mods[i]);
		}
		if (m->phase == PH_TRANSFORM) {
			if (cs->type != NULL)
				return lt_error_set(cs->err, LT_EITEM, "modifier '%s' cannot follow '%s'", m->name,
				                    cs->type->name);
			if (*ntf >= 16)
				return lt_error_set(cs->err, LT_EITEM, "too many modifiers");
			tf[(*ntf)++] = m;
			cs->flags |= F_TRANSFORM;
			continue;
		}
		lt_status st = m->compile(cs, m);
		if (st != LT_OK)
			return st;
	}
	if (cs->type != NULL && (cs->flags & F_TRANSFORM))
		return lt_error_set(cs->err, LT_EITEM, "modifier '%s' cannot be combined with encodings",
		                    cs->type->name);
	if (cs->type != NULL && strcmp(cs->type->name, "fieldref") != 0 &&
	    (cs->flags & (F_CONTAINS | F_STARTS | F_ENDS | F_EXPAND)))
		return lt_error_set(cs->err, LT_EITEM, "modifier '%s' cannot be combined with "
		                    "contains/startswith/endswith/expand", cs->type->name);
	return LT_OK;
}

static lt_status compile_exists(cstate *cs, const sigma_ynode *const *vals, size_t nv,
                                sigma_vitem *out)
{
	bool b;
	if (nv != 1 || !sigma_yaml_bool(vals[0], &b))
		return lt_error_set(cs->err, LT_EITEM, "exists: the value must be true or false");
	out->kind = SIGMA_V_EXISTS;
	out->want_exists = b;
	return LT_OK;
}

lt_status sigma_vitem_compile(const sigma_vcompile_env *env, const char *const *mods, size_t nmods,
                              const sigma_ynode *value, bool keyword, sigma_vitem *out,
                              bool *unsupported, lt_error *err)
{
	*unsupported = false;
	memset(out, 0, sizeof *out);
	cstate cs = {env, 0, NULL, NULL, 0, err, unsupported};
	const modifier *tf[16];
	size_t ntf;
	lt_status st = parse_mods(&cs, mods, nmods, tf, &ntf);
	if (st != LT_OK)
		return st;
	const sigma_ynode **vals = NULL;
	size_t nv = 0;
	if ((st = collect_values(&cs, value, &vals, &nv)) != LT_OK)
		return st;
	if (cs.type != NULL && strcmp(cs.type->name, "exists") == 0)
		return compile_exists(&cs, vals, nv, out);
	out->all = (cs.flags & F_ALL) != 0;
	out->neq = (cs.flags & F_NEQ) != 0;
	for (size_t i = 0; i < nv; i++)
		if (sigma_yaml_is_null(vals[i])) {
			if (cs.type != NULL || ntf > 0 || cs.flags)
				return lt_error_set(err, LT_EITEM, "null cannot be used with modifiers");
			out->has_null = true;
		}
	cs.g = arena_calloc(env->a, nv * sizeof *cs.g);
	if (cs.g == NULL)
		return oom(&cs);
	if (keyword && cs.type == NULL && !(cs.flags & (F_CONTAINS | F_STARTS | F_ENDS)))
		cs.flags |= F_CONTAINS;
	if (cs.type == NULL) {
		if ((st = string_groups(&cs, vals, nv)) != LT_OK)
			return st;
		for (size_t i = 0; i < ntf; i++)
			if ((st = tf[i]->compile(&cs, tf[i])) != LT_OK)
				return st;
	}
	out->g = arena_calloc(env->a, (nv ? nv : 1) * sizeof *out->g);
	if (out->g == NULL)
		return oom(&cs);
	if (cs.type == NULL) {
		for (size_t gi = 0; gi < cs.ng; gi++) {
			sigma_vgroup *g = &out->g[out->ng++];
			g->n = cs.g[gi].n;
			g->m = arena_calloc(env->a, (g->n ? g->n : 1) * sizeof *g->m);
			if (g->m == NULL)
				return oom(&cs);
			for (size_t k = 0; k < g->n; k++)
				if ((st = build_string(&cs, &cs.g[gi].p[k], false, &g->m[k])) != LT_OK)
					return st;
		}
	} else {
		for (size_t i = 0; i < nv; i++) {
			sigma_vgroup *g = &out->g[out->ng++];
			g->n = 1;
			g->m = arena_calloc(env->a, sizeof *g->m);
			if (g->m == NULL)
				return oom(&cs);
			if ((st = build_typed(&cs, vals[i], g->m)) != LT_OK) {
				if (err->line == 0)
					lt_error_where(err, NULL, NULL, vals[i]->line);
				return st;
			}
		}
	}
	if (out->ng == 0 && out->has_null)
		out->kind = SIGMA_V_NULL;
	return LT_OK;
}

/* ---------------------------------------------------------------- matching */

static bool group_match(const sigma_vgroup *g, const sigma_fval *v, sigma_mctx *mc, size_t *so,
                        size_t *eo)
{
	for (size_t k = 0; k < g->n; k++)
		if (g->m[k].match(&g->m[k], v, mc, so, eo))
			return true;
	return false;
}

bool sigma_vitem_match(const sigma_vitem *it, const sigma_fval *v, size_t n, sigma_mctx *mc,
                       size_t *leaf, size_t *so, size_t *eo)
{
	*leaf = 0;
	*so = *eo = 0;
	if (it->kind == SIGMA_V_EXISTS)
		return (n > 0) == it->want_exists;
	if (it->has_null) {
		if (n == 0)
			return true;
		for (size_t i = 0; i < n; i++)
			if (v[i].type == JSON_NULL) {
				*leaf = i;
				return true;
			}
	}
	if (it->neq) {
		if (n == 0)
			return false;
		size_t s, e;
		for (size_t i = 0; i < n; i++)
			for (size_t gi = 0; gi < it->ng; gi++)
				if (group_match(&it->g[gi], &v[i], mc, &s, &e))
					return false;
		*eo = v[0].n;
		return true;
	}
	if (it->all) {
		for (size_t gi = 0; gi < it->ng; gi++) {
			bool found = false;
			size_t s, e;
			for (size_t i = 0; i < n && !found; i++)
				if (group_match(&it->g[gi], &v[i], mc, &s, &e)) {
					found = true;
					if (gi == 0) {
						*leaf = i;
						*so = s;
						*eo = e;
					}
				}
			if (!found)
				return false;
		}
		return it->ng > 0;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t gi = 0; gi < it->ng; gi++)
			if (group_match(&it->g[gi], &v[i], mc, so, eo)) {
				*leaf = i;
				return true;
			}
	return false;
}

/* ---------------------------------------------------------------- regex literals */

typedef struct run {
	char *out;
	size_t cap, best;
	char cur[256];
	size_t n;
} run;

static void run_flush(run *r)
{
	if (r->n > r->best) {
		r->best = r->n < r->cap ? r->n : r->cap;
		memcpy(r->out, r->cur, r->best);
	}
	r->n = 0;
}

static void run_add(run *r, char c)
{
	if (r->n < sizeof r->cur)
		r->cur[r->n++] = c;
}

/* Skips a character class starting at re[i] == '['; returns the index past ']'. */
static size_t skip_class(const char *re, size_t i)
{
	i++;
	if (re[i] == '^')
		i++;
	if (re[i] == ']')
		i++;
	while (re[i] && re[i] != ']') {
		if (re[i] == '\\' && re[i + 1])
			i++;
		i++;
	}
	return re[i] ? i + 1 : i;
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

size_t sigma_re_literal(const char *re, bool caseless, char *out, size_t cap)
{
	run r = {out, cap, 0, {0}, 0};
	int depth = 0;
	size_t i = 0;
	if (strstr(re, "\\Q") != NULL)
		return 0;
	while (re[i]) {
		char c = re[i];
		size_t len = 1;
		if (c == '\\') {
			char nx = re[i + 1];
			if (nx == '\0')
				break;
			if (is_alnum(nx) || (uint8_t)nx >= 0x80) {
				run_flush(&r);
				i += 2;
				if (re[i] == '{' && (nx == 'x' || nx == 'p' || nx == 'P' || nx == 'o' || nx == 'g' ||
				                     nx == 'k' || nx == 'N')) {
					while (re[i] && re[i] != '}')
						i++;
					if (re[i])
						i++;
				}
				continue;
			}
			c = nx;
			len = 2;
		} else if (c == '[') {
			run_flush(&r);
			i = skip_class(re, i);
			continue;
		} else if (c == '(') {
			run_flush(&r);
			if (re[i + 1] == '?') {
				for (size_t k = i + 2; re[k] && re[k] != ')' && re[k] != ':'; k++)
					if (re[k] == 'x')
						return 0;
			}
			depth++;
			i++;
			continue;
		} else if (c == ')') {
			run_flush(&r);
			depth--;
			i++;
			continue;
		} else if (c == '|') {
			if (depth <= 0)
				return 0;
			i++;
			continue;
		} else if (strchr(".^$*+?", c) != NULL) {
			run_flush(&r);
			i++;
			continue;
		} else if (c == '{') {
			run_flush(&r);
			while (re[i] && re[i] != '}')
				i++;
			if (re[i])
				i++;
			continue;
		}
		if (depth > 0) {
			i += len;
			continue;
		}
		char q = re[i + len];
		bool optional = q == '*' || q == '?' || (q == '{' && (re[i + len + 1] == '0' || re[i + len + 1] == ','));
		/* caseless UTF matching folds k with U+212A and s with U+017F, which
		 * the ASCII-folding prefilter would not see: such letters end a run */
		bool unicode_fold = caseless && ((c | 32) == 'k' || (c | 32) == 's');
		if ((uint8_t)c >= 0x80 || optional || unicode_fold) {
			run_flush(&r);
		} else {
			run_add(&r, c);
			if (q == '+' || q == '{')
				run_flush(&r);
		}
		i += len;
	}
	run_flush(&r);
	return r.best;
}
