/*
 * sigma_ext.c — llmtrail's Sigma extensions (see sigma_ext.h, docs/rules.md).
 *
 * Validators run on each regex match of a rule that declares them, after
 * PCRE2 found it: disclosure rules find candidates with a regex and keep only
 * those that look like real secrets (enough entropy, a valid checksum, not a
 * documentation placeholder). require_overlap compares two fields with a
 * rolling hash of every min_chars-byte window of one field (an open-addressed
 * set) probed by the windows of the other, confirmed by memcmp: linear time,
 * memory bounded by SIGMA_EXT_OVERLAP_MAX.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#include "common/hash.h"
#endif
#include "analyzers/sigma/sigma_ext.h"

#include "analyzers/sigma/sigma_corr.h"
#include "ingest/sha256.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lt_status bad(const sigma_ynode *n, lt_error *err, const char *msg)
{
	lt_error_where(err, NULL, NULL, n ? n->line : 0);
	return lt_error_set(err, LT_EITEM, "llmtrail: %s", msg);
}

static lt_status parse_validator(const sigma_ynode *n, sigma_validator *v, sigma_revalid *rv,
                                 lt_error *err)
{
	const char *type = sigma_yaml_str(sigma_yaml_get(n, "type"));
	const char *min = sigma_yaml_str(sigma_yaml_get(n, "min"));
	const char *group = sigma_yaml_str(sigma_yaml_get(n, "group"));
	if (type == NULL)
		return bad(n, err, "validator without a type");
	memset(v, 0, sizeof *v);
	if (group != NULL) {
		char *end;
		long g = strtol(group, &end, 10);
		if (*end || g < 0 || g > 30)
			return bad(n, err, "validator group must be 0..30");
		v->group = (unsigned)g;
	}
	if (strcmp(type, "entropy") == 0) {
		v->type = SIGMA_VAL_ENTROPY;
		char *end;
		v->min = min ? strtod(min, &end) : 3.0;
		if (min && *end)
			return bad(n, err, "entropy min must be a number");
	} else if (strcmp(type, "luhn") == 0) {
		v->type = SIGMA_VAL_LUHN;
	} else if (strcmp(type, "iban_mod97") == 0) {
		v->type = SIGMA_VAL_IBAN;
	} else if (strcmp(type, "us_ssn") == 0) {
		v->type = SIGMA_VAL_SSN;
	} else if (strcmp(type, "min_matches") == 0) {
		char *end;
		long m = min ? strtol(min, &end, 10) : -1;
		if (m < 1 || m > 100000 || *end)
			return bad(n, err, "min_matches needs min: 1..100000");
		rv->min_matches = (unsigned)m;
		v->type = -1; /* not a per-match validator: the caller drops it */
	} else {
		return bad(n, err, "unknown validator type");
	}
	return LT_OK;
}

static lt_status parse_valid(arena *a, const sigma_ynode *vals, const sigma_ynode *excl,
                             sigma_revalid **out, lt_error *err)
{
	sigma_revalid *rv = arena_calloc(a, sizeof *rv);
	if (rv == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	if (vals != NULL) {
		if (vals->type != SIGMA_Y_SEQ)
			return bad(vals, err, "validators must be a list");
		rv->v = arena_calloc(a, (vals->len + 1) * sizeof *rv->v);
		if (rv->v == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory");
		for (size_t i = 0; i < vals->len; i++) {
			lt_status st = parse_validator(vals->items[i], &rv->v[rv->nv], rv, err);
			if (st != LT_OK)
				return st;
			if (rv->v[rv->nv].type >= 0)
				rv->nv++;
		}
	}
	if (excl != NULL) {
		size_t k = excl->type == SIGMA_Y_SEQ ? excl->len : 1;
		rv->excl = arena_calloc(a, (k + 1) * sizeof *rv->excl);
		if (rv->excl == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory");
		for (size_t i = 0; i < k; i++) {
			const sigma_ynode *e = excl->type == SIGMA_Y_SEQ ? excl->items[i] : excl;
			if (e->type != SIGMA_Y_SCALAR || e->n == 0)
				return bad(e, err, "exclude_matches entries must be non-empty strings");
			char *l = arena_strndup(a, e->s, e->n);
			if (l == NULL)
				return lt_error_set(err, LT_EFATAL, "out of memory");
			for (char *p = l; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p + 32);
			rv->excl[rv->nexcl++] = l;
		}
	}
	*out = rv;
	return LT_OK;
}

static bool list_of(arena *a, const sigma_ynode *n, const char ***v, size_t *cnt)
{
	*cnt = 0;
	size_t k = n == NULL ? 0 : n->type == SIGMA_Y_SEQ ? n->len : 1;
	*v = arena_calloc(a, (k + 1) * sizeof **v);
	if (*v == NULL)
		return false;
	for (size_t i = 0; i < k; i++) {
		const sigma_ynode *it = n->type == SIGMA_Y_SEQ ? n->items[i] : n;
		if (it->type == SIGMA_Y_SCALAR && it->n > 0)
			(*v)[(*cnt)++] = it->s;
	}
	return true;
}

static lt_status parse_first_seen(arena *a, const sigma_ynode *v, sigma_ext *out, lt_error *err)
{
	if (v->type != SIGMA_Y_MAP)
		return bad(v, err, "first_seen must be a mapping");
	if (!list_of(a, sigma_yaml_get(v, "group-by"), &out->fs_group, &out->fs_ngroup) ||
	    !list_of(a, sigma_yaml_get(v, "fields"), &out->fs_fields, &out->fs_nfields))
		return lt_error_set(err, LT_EFATAL, "out of memory");
	if (out->fs_nfields == 0)
		return bad(v, err, "first_seen needs fields");
	const sigma_ynode *b = sigma_yaml_get(v, "baseline");
	out->fs_baseline_us = b ? sigma_corr_timespan(sigma_yaml_str(b)) : 0;
	if (out->fs_baseline_us < 0)
		return bad(b, err, "first_seen baseline must be like 1d, 12h, 30m");
	const char *from = sigma_yaml_str(sigma_yaml_get(v, "baseline_from"));
	if (from != NULL && strcmp(from, "rule") != 0 && strcmp(from, "group") != 0)
		return bad(v, err, "first_seen baseline_from must be group or rule");
	out->fs_from_rule = from != NULL && strcmp(from, "rule") == 0;
	out->first_seen = true;
	return LT_OK;
}

lt_status sigma_ext_parse(arena *a, const sigma_ynode *node, sigma_ext *out, bool *unsupported,
                          lt_error *err)
{
	memset(out, 0, sizeof *out);
	*unsupported = false;
	if (node == NULL)
		return LT_OK;
	if (node->type != SIGMA_Y_MAP)
		return bad(node, err, "the llmtrail section must be a mapping");
	const sigma_ynode *vals = NULL, *excl = NULL;
	for (size_t i = 0; i < node->len; i++) {
		const char *k = node->pairs[i].key->s;
		const sigma_ynode *v = node->pairs[i].value;
		if (strcmp(k, "redact") == 0) {
			if (!sigma_yaml_bool(v, &out->redact))
				return bad(v, err, "redact must be true or false");
		} else if (strcmp(k, "validators") == 0) {
			vals = v;
		} else if (strcmp(k, "exclude_matches") == 0) {
			excl = v;
		} else if (strcmp(k, "require_overlap") == 0) {
			out->overlap_field = sigma_yaml_str(sigma_yaml_get(v, "field"));
			out->overlap_with = sigma_yaml_str(sigma_yaml_get(v, "with"));
			const char *m = sigma_yaml_str(sigma_yaml_get(v, "min_chars"));
			long mc = m ? strtol(m, NULL, 10) : 0;
			if (out->overlap_field == NULL || out->overlap_with == NULL || mc < 4 || mc > 100000)
				return bad(v, err, "require_overlap needs field, with and min_chars (4..100000)");
			out->overlap_min = (size_t)mc;
		} else if (strcmp(k, "first_seen") == 0) {
			lt_status st = parse_first_seen(a, v, out, err);
			if (st != LT_OK)
				return st;
		} else {
			*unsupported = true;
			lt_error_where(err, NULL, NULL, node->pairs[i].key->line);
			return lt_error_set(err, LT_EITEM, "llmtrail: unknown extension '%.60s'", k);
		}
	}
	if (vals != NULL || excl != NULL)
		return parse_valid(a, vals, excl, &out->valid, err);
	return LT_OK;
}

/* ---------------------------------------------------------------- validators */

double sigma_ext_entropy(const char *s, size_t n)
{
	if (n == 0)
		return 0.0;
	size_t cnt[256] = {0};
	for (size_t i = 0; i < n; i++)
		cnt[(unsigned char)s[i]]++;
	double h = 0.0;
	for (size_t i = 0; i < 256; i++)
		if (cnt[i]) {
			double p = (double)cnt[i] / (double)n;
			h -= p * log2(p);
		}
	return h;
}

bool sigma_ext_luhn(const char *s, size_t n)
{
	int sum = 0, digits = 0;
	for (size_t i = n; i-- > 0;) {
		char c = s[i];
		if (c == ' ' || c == '-')
			continue;
		if (c < '0' || c > '9')
			return false;
		int d = c - '0';
		if (digits % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
		digits++;
	}
	return digits >= 12 && digits <= 19 && sum % 10 == 0;
}

bool sigma_ext_iban(const char *s, size_t n)
{
	char b[64];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == ' ')
			continue;
		if (k >= sizeof b)
			return false;
		b[k++] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
	}
	if (k < 15 || k > 34)
		return false;
	unsigned rem = 0;
	for (size_t j = 0; j < k; j++) {
		char c = b[(j + 4) % k];
		if (c >= '0' && c <= '9')
			rem = (rem * 10 + (unsigned)(c - '0')) % 97;
		else if (c >= 'A' && c <= 'Z')
			rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
		else
			return false;
	}
	return rem == 1;
}

bool sigma_ext_ssn(const char *s, size_t n)
{
	char d[9];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-' || s[i] == ' ')
			continue;
		if (s[i] < '0' || s[i] > '9' || k >= 9)
			return false;
		d[k++] = s[i];
	}
	if (k != 9)
		return false;
	int area = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
	int group = (d[3] - '0') * 10 + (d[4] - '0');
	int serial = (d[5] - '0') * 1000 + (d[6] - '0') * 100 + (d[7] - '0') * 10 + (d[8] - '0');
	return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

static bool contains_ci(const char *h, size_t hn, const char *nd)
{
	size_t nn = strlen(nd);
	for (size_t i = 0; i + nn <= hn; i++) {
		size_t j = 0;
		while (j < nn) {
			char c = h[i + j];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
			if (c != nd[j])
				break;
			j++;
		}
		if (j == nn)
			return true;
	}
	return false;
}

bool sigma_ext_accept(const sigma_revalid *rv, const char *subject, const size_t *ov, size_t npairs)
{
	const char *m = subject + ov[0];
	size_t mn = ov[1] > ov[0] ? ov[1] - ov[0] : 0;
	for (size_t i = 0; i < rv->nexcl; i++)
		if (contains_ci(m, mn, rv->excl[i]))
			return false;
	for (size_t i = 0; i < rv->nv; i++) {
		const sigma_validator *v = &rv->v[i];
		if (v->group >= npairs || ov[2 * v->group] == (size_t)-1)
			return false;
		const char *g = subject + ov[2 * v->group];
		size_t gn = ov[2 * v->group + 1] - ov[2 * v->group];
		bool ok = v->type == SIGMA_VAL_ENTROPY ? sigma_ext_entropy(g, gn) >= v->min
		          : v->type == SIGMA_VAL_LUHN  ? sigma_ext_luhn(g, gn)
		          : v->type == SIGMA_VAL_IBAN  ? sigma_ext_iban(g, gn)
		                                       : sigma_ext_ssn(g, gn);
		if (!ok)
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- overlap */

#define ROLL_BASE 1099511628211ull

static uint64_t window_hash(const unsigned char *p, size_t n)
{
	uint64_t h = 0;
	for (size_t i = 0; i < n; i++)
		h = h * ROLL_BASE + p[i];
	return h;
}

bool sigma_ext_overlap(const char *a, size_t an, const char *b, size_t bn, size_t min)
{
	if (min == 0 || an < min || bn < min)
		return false;
	an = an > SIGMA_EXT_OVERLAP_MAX ? SIGMA_EXT_OVERLAP_MAX : an;
	bn = bn > SIGMA_EXT_OVERLAP_MAX ? SIGMA_EXT_OVERLAP_MAX : bn;
	/* Sample windows of b at stride min/2: any common run of length >= min
	 * contains a sampled window of length min/2 aligned in b. */
	size_t w = min / 2, stride = w;
	size_t nwin = (bn - w) / stride + 1, cap = 16;
	while (cap < nwin * 2)
		cap *= 2;
	size_t *slot = malloc(cap * sizeof *slot);
	if (slot == NULL)
		return false;
	for (size_t i = 0; i < cap; i++)
		slot[i] = SIZE_MAX;
	for (size_t s = 0; s + w <= bn; s += stride) {
		size_t h = (size_t)window_hash((const unsigned char *)b + s, w) & (cap - 1);
		while (slot[h] != SIZE_MAX)
			h = (h + 1) & (cap - 1);
		slot[h] = s;
	}
	bool found = false;
	const unsigned char *ua = (const unsigned char *)a;
	uint64_t top = 1; /* ROLL_BASE^(w-1) */
	for (size_t k = 1; k < w; k++)
		top *= ROLL_BASE;
	uint64_t rh = window_hash(ua, w);
	for (size_t i = 0; !found && i + w <= an; i++) {
		if (i > 0)
			rh = (rh - ua[i - 1] * top) * ROLL_BASE + ua[i + w - 1];
		size_t h = (size_t)rh & (cap - 1);
		for (; !found && slot[h] != SIZE_MAX; h = (h + 1) & (cap - 1)) {
			size_t s = slot[h];
			if (memcmp(a + i, b + s, w) != 0)
				continue;
			/* extend both ways */
			size_t l = 0, r = w;
			while (l < i && l < s && a[i - l - 1] == b[s - l - 1])
				l++;
			while (i + r < an && s + r < bn && a[i + r] == b[s + r])
				r++;
			found = l + r >= min;
		}
	}
	free(slot);
	return found;
}

/* ---------------------------------------------------------------- first_seen */

/* Keys are 128 bits of the SHA-256 of "G\x1e" group or "V\x1e" group
 * "\x1f" value: 32 bytes an entry whatever the values' length (2 KB user
 * agents cost what short ones do), and no one can make two keys collide. */
#define FS_ID 16

typedef struct fs_entry {
	unsigned char id[FS_ID];
	int64_t t; /* groups: time of the first event */
	uint8_t used;
} fs_entry;

struct sigma_firstseen {
	fs_entry *tab;
	size_t cap, n;
	sha256_ctx *h;
	int64_t first_t; /* the rule's first matching event (baseline_from: rule) */
	bool have_first;
};

sigma_firstseen *sigma_fs_new(void)
{
	sigma_firstseen *fs = calloc(1, sizeof(sigma_firstseen));
	if (fs != NULL && (fs->h = sha256_new()) == NULL) {
		free(fs);
		return NULL;
	}
	return fs;
}

void sigma_fs_reset(sigma_firstseen *fs)
{
	free(fs->tab);
	fs->tab = NULL;
	fs->cap = fs->n = 0;
	fs->have_first = false;
}

void sigma_fs_free(sigma_firstseen *fs)
{
	if (fs == NULL)
		return;
	sigma_fs_reset(fs);
	sha256_free(fs->h);
	free(fs);
}

static size_t fs_slot(const unsigned char *id, size_t cap)
{
	uint64_t h;
	memcpy(&h, id, sizeof h); /* already a cryptographic hash */
	return (size_t)h & (cap - 1);
}

static bool fs_grow(sigma_firstseen *fs)
{
	size_t nc = fs->cap ? fs->cap * 2 : 256;
	fs_entry *nt = calloc(nc, sizeof *nt);
	if (nt == NULL)
		return false;
	for (size_t i = 0; i < fs->cap; i++)
		if (fs->tab[i].used) {
			size_t h = fs_slot(fs->tab[i].id, nc);
			while (nt[h].used)
				h = (h + 1) & (nc - 1);
			nt[h] = fs->tab[i];
		}
	free(fs->tab);
	fs->tab = nt;
	fs->cap = nc;
	return true;
}

/* The key id of kind ('G' or 'V'), group and (for 'V') value. */
static bool fs_id(sigma_firstseen *fs, char kind, const char *group, const char *value, unsigned char id[FS_ID])
{
	unsigned char d[SHA256_LEN];
	const char head[2] = {kind, '\x1e'};
	if (sha256_reset(fs->h) != LT_OK)
		return false;
	sha256_update(fs->h, head, sizeof head);
	sha256_update(fs->h, group, strlen(group));
	if (value != NULL) {
		sha256_update(fs->h, "\x1f", 1);
		sha256_update(fs->h, value, strlen(value));
	}
	if (sha256_final(fs->h, d) != LT_OK)
		return false;
	memcpy(id, d, FS_ID);
	return true;
}

/* The entry for id, inserted with time t if new (*fresh says so); NULL when full. */
static fs_entry *fs_get(sigma_firstseen *fs, const unsigned char *id, int64_t t, bool *fresh)
{
	*fresh = false;
	if ((fs->n + 1) * 2 > fs->cap && !fs_grow(fs))
		return NULL;
	size_t h = fs_slot(id, fs->cap);
	while (fs->tab[h].used) {
		if (memcmp(fs->tab[h].id, id, FS_ID) == 0)
			return &fs->tab[h];
		h = (h + 1) & (fs->cap - 1);
	}
	if (fs->n >= SIGMA_FS_MAX_KEYS)
		return NULL;
	memcpy(fs->tab[h].id, id, FS_ID);
	fs->tab[h].used = 1;
	fs->tab[h].t = t;
	fs->n++;
	*fresh = true;
	return &fs->tab[h];
}

bool sigma_fs_feed(sigma_firstseen *fs, const char *group, const char *value, int64_t t,
                   int64_t baseline_us, bool from_rule)
{
	if (!fs->have_first) {
		fs->first_t = t;
		fs->have_first = true;
	}
	unsigned char id[FS_ID];
	if (!fs_id(fs, 'G', group, NULL, id))
		return false;
	bool fresh;
	fs_entry *g = fs_get(fs, id, t, &fresh);
	int64_t since = from_rule ? fs->first_t : g ? g->t : t;
	if (!fs_id(fs, 'V', group, value, id))
		return false;
	fs_entry *v = fs_get(fs, id, t, &fresh);
	return v != NULL && fresh && t - since >= baseline_us;
}
