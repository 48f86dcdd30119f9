/*
 * prompt_model.c — prompt-attack classifier (see prompt_model.h).
 *
 * Features of one window (a stretch of the token stream: the normalised text's
 * words, [a-z0-9] runs and non-ASCII runs, joined by single spaces), of the
 * kinds the model's feature spec names: every word, every pair of adjacent
 * words, every character 3-, 4- and 5-gram of " window ", one feature per
 * normaliser flag. Each is FNV-1a hashed with a
 * kind byte first and taken modulo 2^nbits. A class's raw score is
 * bias + scale * sum(w[h]) / sqrt(count) (repeats count; int16 weights), its
 * calibrated score 1 / (1 + exp(a * raw + b)). Long texts are cut into windows
 * of `window` bytes every `step` bytes (at token boundaries) and a class keeps
 * its best window, so a long role-play cannot dilute its attack paragraph.
 * The MinHash signature (one-permutation, 64 bins) is over word 3-shingles of
 * the first 64 KiB of the stream. tools/train-prompt-model.py reads features through tools/prompt-feat
 * (this same code), so training and scoring cannot drift apart.
 */
#include "analyzers/prompt/prompt_model.h"
#include "common/hash.h"
#include "analyzers/prompt/prompt_norm.h"
#include "ingest/sha256.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "LTPM\r\n\032\n"
#define FORMAT_VERSION 1u
/* feature kinds a model may use (its header's feature spec, any nonzero subset) */
#define FEAT_WORDS 0x01u
#define FEAT_PAIRS 0x02u
#define FEAT_C3 0x04u
#define FEAT_C4 0x08u
#define FEAT_C5 0x10u
#define FEAT_FLAGS 0x20u
#define FEAT_ALL 0x3Fu
#define HEADER_LEN 40u
#define CLASS_LEN 40u
#define NAME_LEN 24u
#define TEMPLATE_LEN (PMODEL_FAMILY_LEN + 4u * PMODEL_SIG)
#define MAX_TEMPLATES 4096u
#define SHINGLE_SPAN (64u << 10)
#define TOP_GRAMS 4

typedef struct pclass {
	char name[NAME_LEN];
	float bias, scale, platt_a, platt_b;
} pclass;

typedef struct ptemplate {
	char family[PMODEL_FAMILY_LEN];
	uint32_t sig[PMODEL_SIG];
} ptemplate;

struct pmodel {
	uint32_t nbits, nclass, window, step, ntemplates, spec;
	pclass cls[PMODEL_MAX_CLASSES];
	int16_t *w; /* [1 << nbits][nclass] */
	ptemplate *tpl;
	char digest[SHA256_HEX_LEN + 1]; /* the file's own SHA-256 (its last 32 bytes) */
};

typedef struct top_gram {
	double w;
	char g[24];
} top_gram;

struct pmodel_scorer {
	const pmodel *m;
	pnorm nm;
	char *stream;
	size_t slen, scap;
	size_t best_start[PMODEL_MAX_CLASSES], best_end[PMODEL_MAX_CLASSES];
	uint32_t sig[PMODEL_SIG];
	/* the window being scored: its feature hashes, then their weights */
	uint32_t *hashes;
	size_t nhash, chash;
	bool oom;
	double acc[PMODEL_MAX_CLASSES];
	size_t count;
	int explain_class; /* -1: not explaining */
	top_gram top[TOP_GRAMS], top_chars[TOP_GRAMS];
};

/* ================================================================ little-endian reads */

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float rdf(const unsigned char *p)
{
	uint32_t u = rd32(p);
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static bool printable_name(const char *s, size_t cap)
{
	size_t n = 0;
	while (n < cap && s[n] != '\0')
		n++;
	if (n == 0 || n == cap)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	for (size_t i = n; i < cap; i++)
		if (s[i] != '\0')
			return false;
	return true;
}

/* ================================================================ loading */

static lt_status bad(lt_error *err, const char *what)
{
	return lt_error_set(err, LT_EFILE, "prompt model: %s", what);
}

static lt_status check_header(const unsigned char *p, size_t n, uint32_t *v, lt_error *err)
{
	if (n < HEADER_LEN + 32 || memcmp(p, MAGIC, 8) != 0)
		return bad(err, "not a prompt model file (bad magic or too short)");
	for (int i = 0; i < 8; i++)
		v[i] = rd32(p + 8 + 4 * i);
	if (v[0] != FORMAT_VERSION)
		return lt_error_set(err, LT_EFILE, "prompt model: format version %u, this llmtrail reads %u",
		                    v[0], FORMAT_VERSION);
	if (v[1] < 10 || v[1] > 22)
		return bad(err, "hash bits out of range 10..22");
	if (v[2] < 1 || v[2] > PMODEL_MAX_CLASSES)
		return bad(err, "class count out of range 1..4");
	if (v[3] < 64 || v[3] > 65536 || v[4] < 16 || v[4] > v[3])
		return bad(err, "window or step out of range");
	if (v[5] > MAX_TEMPLATES)
		return bad(err, "too many templates");
	if (v[6] == 0 || (v[6] & ~FEAT_ALL) != 0 || v[7] != 0)
		return bad(err, "unknown feature specification");
	return LT_OK;
}

static lt_status check_checksum(const unsigned char *p, size_t n, lt_error *err)
{
	char want[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];
	if (sha256_hex(p, n - 32, got) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "prompt model: cannot hash");
	sha256_to_hex(p + n - 32, want);
	if (strcmp(want, got) != 0)
		return bad(err, "checksum mismatch (file damaged or edited)");
	return LT_OK;
}

static lt_status read_classes(pmodel *m, const unsigned char *p, lt_error *err)
{
	for (uint32_t c = 0; c < m->nclass; c++, p += CLASS_LEN) {
		pclass *k = &m->cls[c];
		memcpy(k->name, p, NAME_LEN);
		if (!printable_name(k->name, NAME_LEN))
			return bad(err, "class name not a NUL-padded [A-Za-z0-9_.-] word");
		k->bias = rdf(p + NAME_LEN);
		k->scale = rdf(p + NAME_LEN + 4);
		k->platt_a = rdf(p + NAME_LEN + 8);
		k->platt_b = rdf(p + NAME_LEN + 12);
		if (!isfinite(k->bias) || !isfinite(k->scale) || !isfinite(k->platt_a) ||
		    !isfinite(k->platt_b) || fabsf(k->bias) > 1e6f || fabsf(k->scale) > 1e6f ||
		    fabsf(k->platt_a) > 1e6f || fabsf(k->platt_b) > 1e6f)
			return bad(err, "class parameters not finite or out of range");
	}
	return LT_OK;
}

static lt_status read_templates(pmodel *m, const unsigned char *p, lt_error *err)
{
	for (uint32_t t = 0; t < m->ntemplates; t++, p += TEMPLATE_LEN) {
		memcpy(m->tpl[t].family, p, PMODEL_FAMILY_LEN);
		if (!printable_name(m->tpl[t].family, PMODEL_FAMILY_LEN))
			return bad(err, "template family not a NUL-padded [A-Za-z0-9_.-] word");
		for (int k = 0; k < PMODEL_SIG; k++)
			m->tpl[t].sig[k] = rd32(p + PMODEL_FAMILY_LEN + 4 * k);
	}
	return LT_OK;
}

lt_status pmodel_parse(pmodel **out, const void *data, size_t n, lt_error *err)
{
	*out = NULL;
	const unsigned char *p = data;
	uint32_t v[8];
	lt_status st = check_header(p, n, v, err);
	if (st != LT_OK)
		return st;
	size_t nb = (size_t)1 << v[1];
	size_t want = HEADER_LEN + (size_t)v[2] * CLASS_LEN + nb * v[2] * 2 +
	              (size_t)v[5] * TEMPLATE_LEN + 32;
	if (n != want)
		return lt_error_set(err, LT_EFILE, "prompt model: %zu bytes, the header implies %zu", n,
		                    want);
	if ((st = check_checksum(p, n, err)) != LT_OK)
		return st;
	pmodel *m = calloc(1, sizeof *m);
	if (m == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory loading the prompt model");
	m->nbits = v[1];
	m->nclass = v[2];
	m->window = v[3];
	m->step = v[4];
	m->ntemplates = v[5];
	m->spec = v[6];
	sha256_to_hex(p + n - 32, m->digest);
	m->w = malloc(nb * m->nclass * sizeof *m->w);
	m->tpl = calloc(m->ntemplates ? m->ntemplates : 1, sizeof *m->tpl);
	if (m->w == NULL || m->tpl == NULL) {
		pmodel_free(m);
		return lt_error_set(err, LT_EFATAL, "out of memory loading the prompt model");
	}
	const unsigned char *q = p + HEADER_LEN;
	if ((st = read_classes(m, q, err)) != LT_OK) {
		pmodel_free(m);
		return st;
	}
	q += (size_t)m->nclass * CLASS_LEN;
	for (size_t i = 0; i < nb * m->nclass; i++, q += 2)
		m->w[i] = (int16_t)(uint16_t)(q[0] | q[1] << 8);
	if ((st = read_templates(m, q, err)) != LT_OK) {
		pmodel_free(m);
		return st;
	}
	*out = m;
	return LT_OK;
}

lt_status pmodel_load(pmodel **out, const char *path, lt_error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return lt_error_set(err, LT_EFILE, "prompt model %s: cannot open: %s", path,
		                    strerror(errno));
	unsigned char *buf = malloc(PMODEL_MAX_FILE + 1);
	if (buf == NULL) {
		fclose(f);
		return lt_error_set(err, LT_EFATAL, "out of memory loading the prompt model");
	}
	size_t n = fread(buf, 1, PMODEL_MAX_FILE + 1, f);
	bool rerr = ferror(f) != 0;
	fclose(f);
	lt_status st;
	if (rerr)
		st = lt_error_set(err, LT_EFILE, "prompt model %s: read error", path);
	else if (n > PMODEL_MAX_FILE)
		st = lt_error_set(err, LT_EFILE, "prompt model %s: larger than %u bytes", path,
		                  PMODEL_MAX_FILE);
	else {
		st = pmodel_parse(out, buf, n, err);
		if (st != LT_OK && err != NULL) {
			char msg[LT_ERROR_MSG_MAX];
			snprintf(msg, sizeof msg, "%s", err->msg);
			lt_error_set(err, st, "%s (%s)", msg, path);
		}
	}
	free(buf);
	return st;
}

void pmodel_free(pmodel *m)
{
	if (m == NULL)
		return;
	free(m->w);
	free(m->tpl);
	free(m);
}

const char *pmodel_digest(const pmodel *m)
{
	return m->digest;
}

size_t pmodel_nclass(const pmodel *m)
{
	return m->nclass;
}

const char *pmodel_class_name(const pmodel *m, size_t c)
{
	return c < m->nclass ? m->cls[c].name : "";
}

int pmodel_class_index(const pmodel *m, const char *name)
{
	for (uint32_t c = 0; c < m->nclass; c++)
		if (strcmp(m->cls[c].name, name) == 0)
			return (int)c;
	return -1;
}

/* ================================================================ features */

static uint32_t fnv(char kind, const char *s, size_t n)
{
	return lt_fnv32_add(lt_fnv32_byte(LT_FNV32_BASIS, (unsigned char)kind), s, n);
}

static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85EBCA6Bu;
	h ^= h >> 13;
	h *= 0xC2B2AE35u;
	h ^= h >> 16;
	return h;
}

static bool token_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* The token stream of normalised text: tokens joined by single spaces. */
static bool build_stream(const char *t, size_t n, char **buf, size_t *cap, size_t *len)
{
	if (*cap < n + 2) {
		char *nb = realloc(*buf, n + 2);
		if (nb == NULL)
			return false;
		*buf = nb;
		*cap = n + 2;
	}
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		while (i < n && !token_byte((unsigned char)t[i]))
			i++;
		if (i == n)
			break;
		if (o)
			(*buf)[o++] = ' ';
		while (i < n && token_byte((unsigned char)t[i]))
			(*buf)[o++] = t[i++];
	}
	(*buf)[o] = '\0';
	*len = o;
	return true;
}

typedef void (*emit_fn)(void *ctx, uint32_t h, const char *g, size_t gn, char kind);

/* Every feature of stream[a..b) of the kinds in spec. */
static void window_features(const char *s, size_t a, size_t b, unsigned flags, unsigned spec,
                            emit_fn emit, void *ctx)
{
	for (unsigned i = 0; (spec & FEAT_FLAGS) && i < PNORM_NFLAGS; i++)
		if (flags & (1u << i)) {
			const char *nm = pnorm_flag_name(i);
			emit(ctx, fnv('f', nm, strlen(nm)), nm, strlen(nm), 'f');
		}
	size_t prev_start = 0, prev_len = 0;
	for (size_t i = a; (spec & (FEAT_WORDS | FEAT_PAIRS)) && i < b;) {
		size_t j = i;
		while (j < b && s[j] != ' ')
			j++;
		if (spec & FEAT_WORDS)
			emit(ctx, fnv('w', s + i, j - i), s + i, j - i, 'w');
		if (prev_len && (spec & FEAT_PAIRS))
			emit(ctx, fnv('b', s + prev_start, j - prev_start), s + prev_start, j - prev_start,
			     'b');
		prev_start = i;
		prev_len = j - i;
		i = j + 1;
	}
	/* character n-grams of " window ": virtual position v is ' ' at 0 and L-1 */
	size_t L = b - a + 2;
	char g[5];
	for (size_t v = 0; v + 3 <= L; v++)
		for (size_t n = 3; n <= 5 && v + n <= L; n++) {
			if (!(spec & (n == 3 ? FEAT_C3 : n == 4 ? FEAT_C4 : FEAT_C5)))
				continue;
			for (size_t k = 0; k < n; k++) {
				size_t x = v + k;
				g[k] = x == 0 || x == L - 1 ? ' ' : s[a + x - 1];
			}
			emit(ctx, fnv('c', g, n), g, n, 'c');
		}
}

/* Next window [*a, *b) after the one ending at prev_b; false when done. */
static bool next_window(const char *s, size_t len, size_t window, size_t step, size_t *a,
                        size_t *b, bool first)
{
	if (first) {
		*a = 0;
	} else {
		if (*b >= len)
			return false;
		size_t na = *a + step;
		while (na < len && s[na - 1] != ' ')
			na++;
		if (na >= len)
			return false;
		*a = na;
	}
	size_t nb = *a + window;
	if (nb >= len)
		nb = len;
	else
		while (nb > *a + 1 && s[nb] != ' ')
			nb--;
	*b = nb;
	return true;
}

/* One-permutation MinHash: each word 3-shingle's hash picks one of the
 * PMODEL_SIG bins (top bits) and the bin keeps its smallest remaining value,
 * one hash per shingle instead of PMODEL_SIG. An empty bin is UINT32_MAX. */
static void minhash(const char *s, size_t len, uint32_t sig[PMODEL_SIG])
{
	for (int k = 0; k < PMODEL_SIG; k++)
		sig[k] = UINT32_MAX;
	if (len > SHINGLE_SPAN) {
		len = SHINGLE_SPAN;
		while (len && s[len] != ' ')
			len--;
	}
	size_t w[3] = {0, 0, 0}; /* starts of the last three words */
	size_t nw = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == 0 || s[i - 1] == ' ') {
			if (i >= len)
				break;
			w[0] = w[1];
			w[1] = w[2];
			w[2] = i;
			nw++;
		}
		bool end = i == len || s[i] == ' ';
		if (!end || nw < 3 || (i > 0 && s[i - 1] == ' '))
			continue;
		uint32_t v = mix32(fnv('s', s + w[0], i - w[0]));
		uint32_t bin = v >> (32 - 6), rest = v & 0x03FFFFFFu;
		if (rest < sig[bin])
			sig[bin] = rest;
	}
}

/* ---------------------------------------------------------------- training export */

typedef struct feat_ctx {
	const pmodel_feat_cb *cb;
} feat_ctx;

static void emit_to_cb(void *ctx, uint32_t h, const char *g, size_t gn, char kind)
{
	(void)g;
	(void)gn;
	(void)kind;
	const feat_ctx *f = ctx;
	f->cb->feat(f->cb->ctx, h);
}

lt_status pmodel_features(const char *text, size_t n, size_t window, size_t step, unsigned spec,
                          const pmodel_feat_cb *cb, uint32_t sig[PMODEL_SIG], lt_error *err)
{
	pnorm nm = {0};
	char *stream = NULL;
	size_t cap = 0, len = 0;
	lt_status st = pnorm_run(&nm, text, n, err);
	if (st == LT_OK && !build_stream(nm.out, nm.len, &stream, &cap, &len))
		st = lt_error_set(err, LT_EFATAL, "out of memory extracting prompt features");
	if (st == LT_OK) {
		feat_ctx fc = {cb};
		size_t a = 0, b = 0, i = 0;
		for (bool first = true; next_window(stream, len, window, step, &a, &b, first);
		     first = false) {
			cb->window(cb->ctx, i++);
			window_features(stream, a, b, nm.flags, spec, emit_to_cb, &fc);
		}
		minhash(stream, len, sig);
	}
	free(stream);
	pnorm_free(&nm);
	return st;
}

/* ================================================================ scoring */

pmodel_scorer *pmodel_scorer_new(const pmodel *m)
{
	pmodel_scorer *s = calloc(1, sizeof *s);
	if (s != NULL) {
		s->m = m;
		s->explain_class = -1;
	}
	return s;
}

void pmodel_scorer_free(pmodel_scorer *s)
{
	if (s == NULL)
		return;
	pnorm_free(&s->nm);
	free(s->stream);
	free(s->hashes);
	free(s);
}

const pmodel *pmodel_scorer_model(const pmodel_scorer *s)
{
	return s->m;
}

/* A gram worth showing an investigator: three letters or digits at least. */
static bool telling(const char *g, size_t gn)
{
	size_t al = 0;
	for (size_t i = 0; i < gn; i++)
		al += g[i] != ' ';
	return al >= 3;
}

/* Keep the TOP_GRAMS heaviest grams; of two that overlap ("epea" inside
 * " repeat") only the heavier stays, so the list names different evidence. */
static void add_top(top_gram *top, double w, const char *g, size_t gn)
{
	if (w <= top[TOP_GRAMS - 1].w || !telling(g, gn))
		return;
	char txt[sizeof top->g];
	size_t k = gn < sizeof txt - 1 ? gn : sizeof txt - 1;
	memcpy(txt, g, k);
	txt[k] = '\0';
	for (int i = 0; i < TOP_GRAMS && top[i].g[0]; i++)
		if (strstr(top[i].g, txt) != NULL || strstr(txt, top[i].g) != NULL) {
			if (w <= top[i].w)
				return;
			memmove(top + i, top + i + 1, (size_t)(TOP_GRAMS - 1 - i) * sizeof *top);
			memset(top + TOP_GRAMS - 1, 0, sizeof *top);
			i--;
		}
	int i = TOP_GRAMS - 1;
	while (i > 0 && top[i - 1].w < w) {
		top[i] = top[i - 1];
		i--;
	}
	top[i].w = w;
	memcpy(top[i].g, txt, k + 1);
}

/* Explaining: the weight of each feature of the best window, with its text. */
static void emit_explain(void *ctx, uint32_t h, const char *g, size_t gn, char kind)
{
	pmodel_scorer *s = ctx;
	const pmodel *m = s->m;
	const int16_t *w = m->w + (size_t)(h & ((1u << m->nbits) - 1)) * m->nclass;
	double v = w[s->explain_class] * (double)m->cls[s->explain_class].scale;
	/* words and word pairs read best; character grams fill in when words say little */
	add_top(kind == 'w' || kind == 'b' || kind == 'f' ? s->top : s->top_chars, v, g, gn);
}

/* Scoring: collect the window's hashes, then sum their weights in one tight
 * loop that prefetches ahead (the weight table does not fit in L1/L2). */
static void emit_hash(void *ctx, uint32_t h, const char *g, size_t gn, char kind)
{
	(void)g;
	(void)gn;
	(void)kind;
	pmodel_scorer *s = ctx;
	if (s->nhash == s->chash) {
		size_t nc = s->chash ? s->chash * 2 : 4096;
		uint32_t *nh = realloc(s->hashes, nc * sizeof *nh);
		if (nh == NULL) {
			s->oom = true;
			return;
		}
		s->hashes = nh;
		s->chash = nc;
	}
	s->hashes[s->nhash++] = h;
}

static void sum_weights(pmodel_scorer *s)
{
	const pmodel *m = s->m;
	const uint32_t mask = (1u << m->nbits) - 1, nc = m->nclass;
	int64_t acc[PMODEL_MAX_CLASSES] = {0};
	const uint32_t *h = s->hashes;
	size_t n = s->nhash;
	for (size_t i = 0; i < n; i++) {
		if (i + 16 < n)
			__builtin_prefetch(m->w + (size_t)(h[i + 16] & mask) * nc);
		const int16_t *w = m->w + (size_t)(h[i] & mask) * nc;
		for (uint32_t c = 0; c < nc; c++)
			acc[c] += w[c];
	}
	for (uint32_t c = 0; c < nc; c++)
		s->acc[c] = (double)acc[c];
	s->count = n;
}

static double calibrate(const pclass *k, double sum, size_t count)
{
	double raw = (double)k->bias + (double)k->scale * sum / sqrt(count ? (double)count : 1.0);
	return 1.0 / (1.0 + exp((double)k->platt_a * raw + (double)k->platt_b));
}

lt_status pmodel_score(pmodel_scorer *s, const char *text, size_t n, pmodel_result *r,
                       lt_error *err)
{
	const pmodel *m = s->m;
	memset(r, 0, sizeof *r);
	lt_status st = pnorm_run(&s->nm, text, n, err);
	if (st != LT_OK)
		return st;
	if (!build_stream(s->nm.out, s->nm.len, &s->stream, &s->scap, &s->slen))
		return lt_error_set(err, LT_EFATAL, "out of memory scoring a prompt");
	r->flags = s->nm.flags;
	for (uint32_t c = 0; c < m->nclass; c++)
		r->score[c] = -1.0;
	size_t a = 0, b = 0;
	s->explain_class = -1;
	s->oom = false;
	for (bool first = true; next_window(s->stream, s->slen, m->window, m->step, &a, &b, first);
	     first = false) {
		s->nhash = 0;
		window_features(s->stream, a, b, s->nm.flags, m->spec, emit_hash, s);
		if (s->oom)
			return lt_error_set(err, LT_EFATAL, "out of memory scoring a prompt");
		sum_weights(s);
		for (uint32_t c = 0; c < m->nclass; c++) {
			double p = calibrate(&m->cls[c], s->acc[c], s->count);
			if (p > r->score[c]) {
				r->score[c] = p;
				s->best_start[c] = a;
				s->best_end[c] = b;
			}
		}
	}
	for (uint32_t c = 0; c < m->nclass; c++)
		if (r->score[c] < 0)
			r->score[c] = 0;
	s->sig[0] = 0;
	s->sig[1] = 0; /* signature computed on demand by pmodel_similar */
	return LT_OK;
}

void pmodel_explain(pmodel_scorer *s, size_t c, char *why)
{
	why[0] = '\0';
	if (c >= s->m->nclass || s->stream == NULL)
		return;
	memset(s->top, 0, sizeof s->top);
	memset(s->top_chars, 0, sizeof s->top_chars);
	s->explain_class = (int)c;
	window_features(s->stream, s->best_start[c], s->best_end[c], s->nm.flags, s->m->spec,
	                emit_explain, s);
	s->explain_class = -1;
	for (int i = 0, j = 0; i < TOP_GRAMS && j < TOP_GRAMS; i++)
		if (s->top[i].w <= 0 && s->top_chars[j].w > 0)
			s->top[i] = s->top_chars[j++];
	size_t o = 0;
	for (int i = 0; i < TOP_GRAMS && s->top[i].w > 0; i++) {
		char esc[4 * sizeof s->top[i].g];
		size_t e = 0;
		for (const unsigned char *p = (const unsigned char *)s->top[i].g; *p; p++)
			e += (size_t)snprintf(esc + e, sizeof esc - e,
			                      *p >= 0x20 && *p < 0x7F && *p != '"' && *p != '\\' ? "%c"
			                                                                         : "\\x%02x",
			                      *p);
		int k = snprintf(why + o, PMODEL_WHY_LEN - o, "%s\"%s\" (+%.2f)", i ? ", " : "", esc,
		                 s->top[i].w);
		if (k < 0 || (size_t)k >= PMODEL_WHY_LEN - o)
			break;
		o += (size_t)k;
	}
}

const char *pmodel_similar(pmodel_scorer *s, double *similarity)
{
	*similarity = 0;
	const pmodel *m = s->m;
	if (m->ntemplates == 0 || s->stream == NULL)
		return NULL;
	minhash(s->stream, s->slen, s->sig);
	size_t filled = 0;
	for (int k = 0; k < PMODEL_SIG; k++)
		filled += s->sig[k] != UINT32_MAX;
	if (filled < 8)
		return NULL; /* too short to compare with a template */
	/* Jaccard estimate: equal bins over bins not empty in both */
	size_t best = 0;
	double bestj = 0;
	for (uint32_t t = 0; t < m->ntemplates; t++) {
		size_t eq = 0, used = 0;
		for (int k = 0; k < PMODEL_SIG; k++) {
			bool both_empty = m->tpl[t].sig[k] == UINT32_MAX && s->sig[k] == UINT32_MAX;
			used += !both_empty;
			eq += !both_empty && m->tpl[t].sig[k] == s->sig[k];
		}
		double j = used ? (double)eq / (double)used : 0;
		if (j > bestj) {
			bestj = j;
			best = t;
		}
	}
	*similarity = bestj;
	return bestj > 0 ? m->tpl[best].family : NULL;
}

const char *pmodel_normalised(const pmodel_scorer *s, size_t *len)
{
	*len = s->nm.len;
	return s->nm.out ? s->nm.out : "";
}
