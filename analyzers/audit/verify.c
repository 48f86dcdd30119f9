/*
 * verify.c — CloudTrail digest-chain verification (see verify.h).
 *
 * In: the members table (every CloudTrail log file and digest of the case,
 * with the decompressed-content SHA-256 recorded when it was indexed) and the
 * stored content of each digest. Out: rows of checks, sorted by chain, digest
 * end time and check, then the unlisted log files.
 * Pass 1 reads each digest once (bounded by VERIFY_MAX_DIGEST), checks the
 * log files it lists against a name index of the members, and keeps only a
 * compact record (keys, hashes, signature) — so memory is the members index
 * plus a few hundred bytes per digest, not the digests' text.
 * Pass 2 orders each chain and checks links and signatures; the signature of
 * digest N comes from the digest that names N as its previous digest.
 * Crypto: OpenSSL EVP_DigestVerify, RSA PKCS#1 v1.5 with SHA-256; public keys
 * are the base64 DER RSAPublicKey (or SubjectPublicKeyInfo) that
 * `aws cloudtrail list-public-keys` prints, chosen by Fingerprint (compared
 * case-insensitively as an opaque string).
 */
#include "config.h"
#include "common/sort.h"

#include "analyzers/audit/verify.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "analyzers/audit/builtin_rules.h"
#include "common/arena.h"
#include "common/ltime.h"
#include "ingest/digestfile.h"
#include "ingest/json.h"
#include "ingest/sha256.h"
#include "model/strmap.h"
#include "store/caseq.h"

/* ---- keys and supplied signatures -------------------------------------- */

typedef struct vkey {
	char fingerprint[130];
	EVP_PKEY *pkey;
} vkey;

typedef struct vsig {
	unsigned char *sig;
	size_t len;
} vsig;

struct verify_keys {
	vkey *keys;
	size_t nkeys, akeys;
	vsig *sigs;
	size_t nsigs, asigs;
	strmap *sig_by_object; /* digestS3Object -> index + 1 */
};

verify_keys *verify_keys_new(void)
{
	verify_keys *k = calloc(1, sizeof *k);
	if (k == NULL)
		return NULL;
	k->sig_by_object = strmap_new(0);
	if (k->sig_by_object == NULL) {
		free(k);
		return NULL;
	}
	return k;
}

void verify_keys_free(verify_keys *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->nkeys; i++)
		EVP_PKEY_free(k->keys[i].pkey);
	for (size_t i = 0; i < k->nsigs; i++)
		free(k->sigs[i].sig);
	free(k->keys);
	free(k->sigs);
	strmap_free(k->sig_by_object);
	free(k);
}

size_t verify_keys_count(const verify_keys *k)
{
	return k ? k->nkeys : 0;
}

size_t verify_keys_signatures(const verify_keys *k)
{
	return k ? k->nsigs : 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex into a malloc'd buffer; NULL if not hex or empty. */
static unsigned char *hex_decode(const char *s, size_t n, size_t *len)
{
	if (n == 0 || n % 2 != 0 || n / 2 > 65536)
		return NULL;
	unsigned char *out = malloc(n / 2);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[i] = (unsigned char)(hi * 16 + lo);
	}
	*len = n / 2;
	return out;
}

static EVP_PKEY *pkey_from_base64(const char *b64, size_t n)
{
	if (n == 0 || n > 65536 || n % 4 != 0)
		return NULL;
	unsigned char *der = malloc(n / 4 * 3 + 1);
	if (der == NULL)
		return NULL;
	int got = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n);
	EVP_PKEY *k = NULL;
	if (got > 0) {
		long len = got;
		for (size_t i = n; i > 0 && b64[i - 1] == '='; i--)
			len--;
		const unsigned char *p = der;
		k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
		if (k == NULL) {
			p = der;
			k = d2i_PUBKEY(NULL, &p, len);
		}
	}
	free(der);
	return k;
}

static lt_status add_key(verify_keys *k, const json_value *item, const char *name, size_t i, lt_error *err)
{
	const json_value *val = json_get(item, "Value");
	const json_value *fp = json_get(item, "Fingerprint");
	if (val == NULL || val->type != JSON_STRING || fp == NULL || fp->type != JSON_STRING ||
	    fp->len == 0 || fp->len >= sizeof k->keys[0].fingerprint)
		return lt_error_set(err, LT_EFILE, "%s: PublicKeyList[%zu]: needs Value and Fingerprint strings",
		                    name, i);
	EVP_PKEY *pk = pkey_from_base64(val->u.s, val->len);
	if (pk == NULL)
		return lt_error_set(err, LT_EFILE, "%s: PublicKeyList[%zu].Value: not a base64 DER RSA public key",
		                    name, i);
	if (k->nkeys == k->akeys) {
		size_t na = k->akeys ? k->akeys * 2 : 4;
		vkey *nv = realloc(k->keys, na * sizeof *nv);
		if (nv == NULL) {
			EVP_PKEY_free(pk);
			return lt_error_set(err, LT_EFATAL, "out of memory");
		}
		k->keys = nv;
		k->akeys = na;
	}
	vkey *v = &k->keys[k->nkeys++];
	for (size_t j = 0; j < fp->len; j++)
		v->fingerprint[j] = (char)tolower((unsigned char)fp->u.s[j]);
	v->fingerprint[fp->len] = '\0';
	v->pkey = pk;
	return LT_OK;
}

static lt_status add_signature(verify_keys *k, const json_value *line, const char *name, size_t lineno,
                               lt_error *err)
{
	const json_value *obj = json_get(line, "digestS3Object");
	const json_value *sig = json_get(line, "signature");
	if (obj == NULL || obj->type != JSON_STRING || sig == NULL || sig->type != JSON_STRING)
		return lt_error_set(err, LT_EFILE, "%s: line %zu: needs digestS3Object and signature strings", name,
		                    lineno);
	size_t len = 0;
	unsigned char *bytes = hex_decode(sig->u.s, sig->len, &len);
	if (bytes == NULL)
		return lt_error_set(err, LT_EFILE, "%s: line %zu: signature is not hex", name, lineno);
	if (k->nsigs == k->asigs) {
		size_t na = k->asigs ? k->asigs * 2 : 16;
		vsig *nv = realloc(k->sigs, na * sizeof *nv);
		if (nv == NULL) {
			free(bytes);
			return lt_error_set(err, LT_EFATAL, "out of memory");
		}
		k->sigs = nv;
		k->asigs = na;
	}
	uint64_t *slot = strmap_slot(k->sig_by_object, obj->u.s, obj->len, true, NULL);
	if (slot == NULL) {
		free(bytes);
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	k->sigs[k->nsigs].sig = bytes;
	k->sigs[k->nsigs].len = len;
	*slot = ++k->nsigs;
	return LT_OK;
}

static lt_status load_signature_lines(verify_keys *k, arena *a, const char *text, size_t n, const char *name,
                                      lt_error *err)
{
	size_t lineno = 0;
	for (size_t pos = 0; pos < n;) {
		const char *nl = memchr(text + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - text) : n;
		lineno++;
		size_t s = pos;
		while (s < end && isspace((unsigned char)text[s]))
			s++;
		if (s < end) {
			json_value *v = NULL;
			lt_error e;
			if (json_parse(a, text + s, end - s, NULL, &v, NULL, &e) != LT_OK)
				return lt_error_set(err, LT_EFILE, "%s: line %zu: %s", name, lineno, e.msg);
			lt_status st = add_signature(k, v, name, lineno, err);
			if (st != LT_OK)
				return st;
		}
		pos = end + 1;
	}
	return LT_OK;
}

lt_status verify_keys_load_text(verify_keys *k, const char *text, size_t n, const char *name, lt_error *err)
{
	arena *a = arena_new(0, 8 * VERIFY_MAX_KEYFILE);
	if (a == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	json_value *doc = NULL;
	lt_error e;
	lt_status st;
	if (json_parse(a, text, n, NULL, &doc, NULL, &e) == LT_OK && doc->type == JSON_OBJECT) {
		const json_value *list = json_get(doc, "PublicKeyList");
		if (list != NULL && list->type == JSON_ARRAY) {
			st = LT_OK;
			for (size_t i = 0; i < list->len && st == LT_OK; i++)
				st = add_key(k, &list->u.items[i], name, i, err);
		} else if (json_get(doc, "digestS3Object") != NULL)
			st = add_signature(k, doc, name, 1, err);
		else
			st = lt_error_set(err, LT_EFILE, "%s: no PublicKeyList (want `aws cloudtrail list-public-keys` output)",
			                  name);
	} else {
		arena_reset(a);
		st = load_signature_lines(k, a, text, n, name, err);
	}
	arena_free(a);
	return st;
}

lt_status verify_keys_load(verify_keys *k, const char *path, lt_error *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return lt_error_set(err, LT_EFILE, "%s: cannot open", path);
	buf b;
	buf_init(&b, VERIFY_MAX_KEYFILE);
	char tmp[65536];
	size_t got;
	lt_status st = LT_OK;
	while (st == LT_OK && (got = fread(tmp, 1, sizeof tmp, f)) > 0)
		st = buf_append(&b, tmp, got);
	int bad = ferror(f);
	fclose(f);
	if (st == LT_EITEM)
		st = lt_error_set(err, LT_EFILE, "%s: larger than %zu bytes", path, VERIFY_MAX_KEYFILE);
	else if (st != LT_OK)
		st = lt_error_set(err, LT_EFATAL, "out of memory");
	else if (bad)
		st = lt_error_set(err, LT_EFILE, "%s: read error", path);
	else
		st = verify_keys_load_text(k, b.data ? b.data : "", b.len, path, err);
	buf_free(&b);
	return st;
}

static const vkey *find_key(const verify_keys *k, const char *fp)
{
	if (k == NULL)
		return NULL;
	for (size_t i = 0; i < k->nkeys; i++)
		if (strcasecmp(k->keys[i].fingerprint, fp) == 0)
			return &k->keys[i];
	return NULL;
}

static const vsig *find_supplied_sig(const verify_keys *k, const char *object)
{
	if (k == NULL)
		return NULL;
	const uint64_t *i = strmap_find(k->sig_by_object, object, strlen(object));
	return i ? &k->sigs[*i - 1] : NULL;
}

/* ---- the result --------------------------------------------------------- */

typedef struct row_ex {
	verify_row pub;
	size_t digest; /* digest index, or SIZE_MAX for unlisted files */
	size_t rank;   /* sort key: the digest's place in chain order */
	size_t seq;
} row_ex;

/* A member of interest (CloudTrail log file or digest). */
typedef struct vmember {
	int64_t id, content_id;
	const char *evidence, *path, *full, *name, *format;
	char hash[SHA256_HEX_LEN + 1]; /* decompressed content, "" if unknown */
	bool listed;
	bool is_digest;
	size_t next_same_name; /* index + 1 */
} vmember;

/* The compact record kept per digest. */
typedef struct vdigest {
	size_t member;
	bool parsed;
	const char *chain, *object, *bucket, *end_time, *fingerprint, *sig_alg;
	bool has_prev;
	const char *prev_object, *prev_sig_hex;
	unsigned char prev_hash[SHA256_LEN];
	unsigned char *prev_sig;
	size_t prev_sig_len;
	unsigned char self_hash[SHA256_LEN];
	int64_t start_us, end_us;
	size_t rank;
} vdigest;

struct verify_result {
	arena *a;
	row_ex *rows;
	size_t nrows, arows;
	verify_row *out; /* sorted public rows */
	verify_summary sum;
	/* work state */
	vmember *mem;
	size_t nmem, amem;
	strmap *by_name;
	vdigest *dg;
	size_t ndg, adg;
	vdigest **order;    /* parsed digests by chain, end time (check_chains) */
	size_t norder;
	size_t *chain_lo;   /* start of each chain in order; chain_lo[nchains] = norder */
	size_t nchains;
	verify_progress_fn progress; /* NULL: none */
	void *progress_ctx;
};

void verify_result_free(verify_result *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->ndg; i++)
		free(v->dg[i].prev_sig);
	free(v->dg);
	free(v->order);
	free(v->chain_lo);
	free(v->mem);
	strmap_free(v->by_name);
	free(v->rows);
	free(v->out);
	arena_free(v->a);
	free(v);
}

size_t verify_nrows(const verify_result *v)
{
	return v ? v->nrows : 0;
}

const verify_row *verify_row_at(const verify_result *v, size_t i)
{
	return &v->out[i];
}

const verify_summary *verify_get_summary(const verify_result *v)
{
	return &v->sum;
}

rpt_check verify_overall(const verify_result *v)
{
	rpt_check worst = RPT_CHECK_VALID;
	for (size_t i = 0; i < v->nrows; i++) {
		if (v->out[i].status == RPT_CHECK_INVALID)
			return RPT_CHECK_INVALID;
		if (v->out[i].status == RPT_CHECK_UNVERIFIABLE)
			worst = RPT_CHECK_UNVERIFIABLE;
	}
	return worst;
}

static const char *adup(verify_result *v, const char *s, size_t n)
{
	return arena_strndup(v->a, s ? s : "", s ? n : 0);
}

static const char *adupc(verify_result *v, const char *s)
{
	return adup(v, s, s ? strlen(s) : 0);
}

static lt_status add_row(verify_result *v, size_t digest, const char *chain, const char *kind, const char *object,
                         const char *check, rpt_check status, verify_problem problem, const vmember *m,
                         int64_t time_us, const char *fmt, ...) LT_PRINTF(11, 12);

static lt_status add_row(verify_result *v, size_t digest, const char *chain, const char *kind, const char *object,
                         const char *check, rpt_check status, verify_problem problem, const vmember *m,
                         int64_t time_us, const char *fmt, ...)
{
	if (v->nrows == v->arows) {
		size_t na = v->arows ? v->arows * 2 : 64;
		row_ex *nr = realloc(v->rows, na * sizeof *nr);
		if (nr == NULL)
			return LT_EFATAL;
		v->rows = nr;
		v->arows = na;
	}
	char detail[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	row_ex *r = &v->rows[v->nrows];
	memset(r, 0, sizeof *r);
	r->digest = digest;
	r->seq = v->nrows;
	r->pub.chain = adupc(v, chain);
	r->pub.kind = kind;
	r->pub.object = adupc(v, object);
	r->pub.check = check;
	r->pub.status = status;
	r->pub.problem = problem;
	r->pub.detail = adupc(v, detail);
	r->pub.evidence = m ? m->evidence : NULL;
	r->pub.member = m ? m->path : NULL;
	r->pub.time_us = time_us;
	if (r->pub.chain == NULL || r->pub.object == NULL || r->pub.detail == NULL)
		return LT_EFATAL;
	v->sum.problems[problem]++;
	v->nrows++;
	return LT_OK;
}

/* ---- members ------------------------------------------------------------ */

static lt_status add_member(void *ctx, const caseq_ct_member *row, lt_error *err)
{
	verify_result *v = ctx;
	if (v->nmem == v->amem) {
		size_t na = v->amem ? v->amem * 2 : 256;
		vmember *nm = realloc(v->mem, na * sizeof *nm);
		if (nm == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory");
		v->mem = nm;
		v->amem = na;
	}
	vmember *m = &v->mem[v->nmem];
	memset(m, 0, sizeof *m);
	m->id = row->id;
	m->content_id = row->content_id;
	m->evidence = adupc(v, row->evidence);
	m->path = adupc(v, row->path);
	m->name = adupc(v, row->name);
	m->format = adupc(v, row->format);
	size_t el = strlen(row->evidence), pl = strlen(row->path);
	char *full = arena_alloc(v->a, el + pl + 2);
	if (m->evidence == NULL || m->path == NULL || m->name == NULL || m->format == NULL || full == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	memcpy(full, m->evidence, el);
	if (pl) {
		full[el] = '/';
		memcpy(full + el + 1, m->path, pl + 1);
	} else
		full[el] = '\0';
	m->full = full;
	/* a digest that no longer decodes as one keeps its name: check it too */
	m->is_digest = strcmp(m->format, "cloudtrail-digest") == 0 || strstr(m->name, "_CloudTrail-Digest_") != NULL;
	const char *content = row->content_sha256;
	if (content[0] != '\0')
		snprintf(m->hash, sizeof m->hash, "%s", content);
	else if (strcmp(m->format, "gzip") != 0 && !strstr(m->name, ".gz"))
		snprintf(m->hash, sizeof m->hash, "%s", row->sha256); /* stored uncompressed: as found */
	uint64_t *head = strmap_slot(v->by_name, m->name, strlen(m->name), true, NULL);
	if (head == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	m->next_same_name = (size_t)*head;
	*head = ++v->nmem;
	return LT_OK;
}

static lt_status load_members(verify_result *v, case_db *c, lt_error *err)
{
	return caseq_each_cloudtrail_member(c, add_member, v, err);
}

static const char *base_name(const char *key, size_t n, size_t *bn)
{
	size_t i = n;
	while (i > 0 && key[i - 1] != '/')
		i--;
	*bn = n - i;
	return key + i;
}

static bool ends_with_key(const char *full, const char *key, size_t kn)
{
	size_t fn = strlen(full);
	if (fn == kn)
		return memcmp(full, key, kn) == 0;
	return fn > kn && full[fn - kn - 1] == '/' && memcmp(full + fn - kn, key, kn) == 0;
}

/* The member holding S3 object key: by path suffix, else the only member with
 * that file name (*moved set). Marks every suffix match as listed. */
static vmember *find_member(verify_result *v, const char *key, size_t kn, bool digest, bool *moved)
{
	size_t bn;
	const char *b = base_name(key, kn, &bn);
	*moved = false;
	const uint64_t *head = strmap_find(v->by_name, b, bn);
	vmember *found = NULL, *by_name = NULL;
	size_t same_name = 0;
	for (size_t i = head ? (size_t)*head : 0; i != 0; i = v->mem[i - 1].next_same_name) {
		vmember *m = &v->mem[i - 1];
		if (m->is_digest != digest)
			continue;
		if (ends_with_key(m->full, key, kn)) {
			if (found == NULL || m->id < found->id)
				found = m;
			if (!digest)
				m->listed = true;
		} else {
			same_name++;
			by_name = m;
		}
	}
	if (found == NULL && same_name == 1) {
		*moved = true;
		if (!digest)
			by_name->listed = true;
		return by_name;
	}
	return found;
}

/* ---- pass 1: read the digests ------------------------------------------- */

static const char *chain_of(verify_result *v, const char *object, const char *fallback)
{
	size_t n = strlen(object), bn;
	const char *b = base_name(object, n, &bn);
	if (bn == 0)
		b = base_name(fallback, strlen(fallback), &bn);
	const char *us = NULL;
	for (size_t i = 0; i < bn; i++)
		if (b[i] == '_')
			us = b + i;
	return adup(v, b, us ? (size_t)(us - b) : bn);
}

static lt_status check_logfiles(verify_result *v, size_t di, const digestfile *d)
{
	const vdigest *g = &v->dg[di];
	for (size_t i = 0; i < d->n_log_files; i++) {
		const digest_logfile *lf = &d->log_files[i];
		const char *key = adup(v, lf->s3_object.p, lf->s3_object.n);
		if (key == NULL)
			return LT_EFATAL;
		bool moved;
		vmember *m = find_member(v, key, strlen(key), false, &moved);
		lt_status st;
		v->sum.logfiles_listed++;
		if (m == NULL) {
			v->sum.logfiles_missing++;
			st = add_row(v, di, g->chain, "logfile", key, "log file present", RPT_CHECK_INVALID,
			             VERIFY_P_LOGFILE_MISSING, NULL, lf->newest_event_us,
			             "listed in digest %s but not in the evidence (deleted or not exported)", g->object);
			if (st != LT_OK)
				return st;
			continue;
		}
		char want[SHA256_HEX_LEN + 1];
		sha256_to_hex(lf->hash, want);
		const char *where = moved ? " (found under another path)" : "";
		if (m->hash[0] == '\0') {
			v->sum.logfiles_altered++;
			st = add_row(v, di, g->chain, "logfile", key, "log file hash", RPT_CHECK_INVALID,
			             VERIFY_P_LOGFILE_ALTERED, m, lf->newest_event_us,
			             "content could not be decompressed, so it cannot hash to %s as digest %s says%s", want,
			             g->object, where);
		} else if (strcmp(m->hash, want) != 0) {
			v->sum.logfiles_altered++;
			st = add_row(v, di, g->chain, "logfile", key, "log file hash", RPT_CHECK_INVALID,
			             VERIFY_P_LOGFILE_ALTERED, m, lf->newest_event_us,
			             "SHA-256 of the decompressed content is %s, digest %s says %s%s", m->hash, g->object,
			             want, where);
		} else {
			v->sum.logfiles_valid++;
			st = add_row(v, di, g->chain, "logfile", key, "log file hash", RPT_CHECK_VALID, VERIFY_P_NONE, m,
			             lf->newest_event_us, "SHA-256 matches digest %s%s", g->object, where);
		}
		if (st != LT_OK)
			return st;
	}
	return LT_OK;
}

static lt_status keep_digest(verify_result *v, vdigest *g, const digestfile *d, const buf *content)
{
	g->parsed = true;
	g->object = adup(v, d->s3_object.p, d->s3_object.n);
	g->bucket = adup(v, d->s3_bucket.p, d->s3_bucket.n);
	g->end_time = adup(v, d->end_time.p, d->end_time.n);
	g->fingerprint = adup(v, d->public_key_fingerprint.p, d->public_key_fingerprint.n);
	g->sig_alg = adup(v, d->signature_algorithm.p, d->signature_algorithm.n);
	g->start_us = d->start_us;
	g->end_us = d->end_us;
	g->has_prev = d->has_previous;
	g->prev_object = adup(v, d->previous_s3_object.p, d->previous_s3_object.n);
	g->prev_sig_hex = adup(v, d->previous_signature.p, d->previous_signature.n);
	memcpy(g->prev_hash, d->previous_hash, SHA256_LEN);
	if (d->has_previous && d->previous_sig_len > 0) {
		g->prev_sig = malloc(d->previous_sig_len);
		if (g->prev_sig == NULL)
			return LT_EFATAL;
		memcpy(g->prev_sig, d->previous_sig, d->previous_sig_len);
		g->prev_sig_len = d->previous_sig_len;
	}
	sha256_ctx *h = sha256_new();
	if (h == NULL)
		return LT_EFATAL;
	sha256_update(h, content->data, content->len);
	lt_status st = sha256_final(h, g->self_hash);
	sha256_free(h);
	if (st != LT_OK)
		return st;
	const vmember *m = &v->mem[g->member];
	g->chain = chain_of(v, g->object, m->name);
	if (g->object == NULL || g->bucket == NULL || g->end_time == NULL || g->fingerprint == NULL ||
	    g->sig_alg == NULL || g->prev_object == NULL || g->prev_sig_hex == NULL || g->chain == NULL)
		return LT_EFATAL;
	return LT_OK;
}

static lt_status read_digest(verify_result *v, case_db *c, size_t mi, buf *content, arena *pa, lt_error *err)
{
	if (v->ndg == v->adg) {
		size_t na = v->adg ? v->adg * 2 : 64;
		vdigest *nd = realloc(v->dg, na * sizeof *nd);
		if (nd == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory");
		v->dg = nd;
		v->adg = na;
	}
	size_t di = v->ndg++;
	vdigest *g = &v->dg[di];
	memset(g, 0, sizeof *g);
	g->member = mi;
	g->rank = SIZE_MAX - 1; /* unreadable digests sort after the chains */
	const vmember *m = &v->mem[mi];
	buf_reset(content);
	arena_reset(pa);
	lt_error e;
	lt_error_clear(&e);
	lt_status st = case_member_content(c, m->content_id, content, &e);
	if (st == LT_EFATAL)
		return lt_error_set(err, LT_EFATAL, "%s", e.msg);
	json_value *doc = NULL;
	digestfile d;
	if (st == LT_OK)
		st = json_parse(pa, content->data ? content->data : "", content->len, NULL, &doc, NULL, &e);
	if (st == LT_OK)
		st = digestfile_parse(doc, pa, &d, &e);
	if (st != LT_OK) {
		g->chain = chain_of(v, "", m->name);
		g->object = m->path[0] ? m->path : m->full;
		g->end_us = -1;
		if (g->chain == NULL)
			return lt_error_set(err, LT_EFATAL, "out of memory");
		return add_row(v, di, g->chain, "digest", g->object, "digest readable", RPT_CHECK_INVALID,
		               VERIFY_P_DIGEST_UNREADABLE, m, -1, "cannot read the digest: %s", e.msg) == LT_OK
		               ? LT_OK
		               : lt_error_set(err, LT_EFATAL, "out of memory");
	}
	if (keep_digest(v, g, &d, content) != LT_OK || check_logfiles(v, di, &d) != LT_OK)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	return LT_OK;
}

static void tell(const verify_result *v, const char *phase, uint64_t done, uint64_t total)
{
	if (v->progress != NULL)
		v->progress(v->progress_ctx, phase, done, total);
}

static lt_status read_digests(verify_result *v, case_db *c, lt_error *err)
{
	buf content;
	buf_init(&content, VERIFY_MAX_DIGEST);
	arena *pa = arena_new(0, 4 * VERIFY_MAX_DIGEST);
	if (pa == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	lt_status st = LT_OK;
	size_t n = v->nmem, total = 0, done = 0;
	for (size_t i = 0; i < n; i++)
		total += v->mem[i].is_digest;
	for (size_t i = 0; i < n && st == LT_OK; i++)
		if (v->mem[i].is_digest) {
			st = read_digest(v, c, i, &content, pa, err);
			tell(v, "digests read", ++done, total);
		}
	buf_free(&content);
	arena_free(pa);
	return st;
}

/* ---- pass 2: chains ------------------------------------------------------ */

static int cmp_digest(const void *a, const void *b)
{
	const vdigest *x = *(const vdigest *const *)a, *y = *(const vdigest *const *)b;
	int c = strcmp(x->chain, y->chain);
	if (c)
		return c;
	if (x->end_us != y->end_us)
		return x->end_us < y->end_us ? -1 : 1;
	if (x->start_us != y->start_us)
		return x->start_us < y->start_us ? -1 : 1;
	c = strcmp(x->object, y->object);
	if (c)
		return c;
	return x->member < y->member ? -1 : x->member > y->member;
}

static lt_status check_signature(verify_result *v, const verify_keys *keys, size_t di, const unsigned char *sig,
                                 size_t siglen, const char *sig_from)
{
	const vdigest *g = &v->dg[di];
	const vmember *m = &v->mem[g->member];
	if (strcmp(g->sig_alg, "SHA256withRSA") != 0)
		return add_row(v, di, g->chain, "digest", g->object, "signature", RPT_CHECK_UNVERIFIABLE, VERIFY_P_NONE,
		               m, g->end_us, "unsupported digestSignatureAlgorithm %s", g->sig_alg);
	const vkey *k = find_key(keys, g->fingerprint);
	if (k == NULL)
		return add_row(v, di, g->chain, "digest", g->object, "signature", RPT_CHECK_UNVERIFIABLE, VERIFY_P_NONE,
		               m, g->end_us, "no public key with fingerprint %s (give --public-keys)", g->fingerprint);
	char hex[SHA256_HEX_LEN + 1];
	sha256_to_hex(g->self_hash, hex);
	buf msg;
	buf_init(&msg, 0);
	lt_status st = buf_printf(&msg, "%s\n%s/%s\n%s\n%s", g->end_time, g->bucket, g->object, hex,
	                          g->has_prev ? g->prev_sig_hex : "null");
	if (st != LT_OK) {
		buf_free(&msg);
		return LT_EFATAL;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = -1;
	if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) == 1)
		ok = EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)msg.data, msg.len);
	EVP_MD_CTX_free(ctx);
	buf_free(&msg);
	if (ok == 1)
		return add_row(v, di, g->chain, "digest", g->object, "signature", RPT_CHECK_VALID, VERIFY_P_NONE, m,
		               g->end_us, "RSA/SHA-256 signature (from %s) verifies with key %s", sig_from,
		               k->fingerprint);
	return add_row(v, di, g->chain, "digest", g->object, "signature", RPT_CHECK_INVALID, VERIFY_P_DIGEST_SIGNATURE,
	               m, g->end_us,
	               "signature (from %s) does not verify with key %s: the digest was altered or forged", sig_from,
	               k->fingerprint);
}

/* The digest in chain [lo, hi) whose object is name, or SIZE_MAX. */
static size_t find_in_chain(vdigest *const *order, size_t lo, size_t hi, const char *name)
{
	for (size_t i = lo; i < hi; i++)
		if (strcmp(order[i]->object, name) == 0)
			return i;
	return SIZE_MAX;
}

static size_t index_of(const verify_result *v, const vdigest *g)
{
	return (size_t)(g - v->dg);
}

static lt_status check_link(verify_result *v, vdigest *const *order, size_t lo, size_t hi, size_t i)
{
	const vdigest *g = order[i];
	size_t di = index_of(v, g);
	const vmember *m = &v->mem[g->member];
	if (!g->has_prev) {
		if (i == lo)
			return add_row(v, di, g->chain, "digest", g->object, "previous digest", RPT_CHECK_VALID,
			               VERIFY_P_NONE, m, g->end_us, "first digest of the chain (no previous digest)");
		return add_row(v, di, g->chain, "digest", g->object, "previous digest", RPT_CHECK_UNVERIFIABLE,
		               VERIFY_P_CHAIN_RESTART, m, g->end_us,
		               "chain restarts: no previous digest although %s precedes it (log file validation "
		               "turned off and on, or the trail recreated)",
		               order[i - 1]->object);
	}
	size_t p = i > lo && strcmp(order[i - 1]->object, g->prev_object) == 0
	               ? i - 1
	               : find_in_chain(order, lo, hi, g->prev_object);
	if (p == SIZE_MAX) {
		if (i == lo)
			return add_row(v, di, g->chain, "digest", g->object, "previous digest", RPT_CHECK_UNVERIFIABLE,
			               VERIFY_P_NONE, m, g->end_us,
			               "previous digest %s is not in the evidence (the export starts here)", g->prev_object);
		return add_row(v, di, g->chain, "digest", g->object, "previous digest", RPT_CHECK_INVALID,
		               VERIFY_P_CHAIN_GAP, m, g->end_us,
		               "chain gap: previous digest %s is missing from the evidence (or unreadable)", g->prev_object);
	}
	const vdigest *prev = order[p];
	if (memcmp(prev->self_hash, g->prev_hash, SHA256_LEN) != 0) {
		char want[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];
		sha256_to_hex(g->prev_hash, want);
		sha256_to_hex(prev->self_hash, got);
		return add_row(v, di, g->chain, "digest", prev->object, "previous digest", RPT_CHECK_INVALID,
		               VERIFY_P_DIGEST_ALTERED, &v->mem[prev->member], prev->end_us,
		               "SHA-256 of the decompressed digest is %s, the next digest %s says %s: altered", got,
		               g->object, want);
	}
	if (p != i - 1)
		return add_row(v, di, g->chain, "digest", g->object, "previous digest", RPT_CHECK_INVALID,
		               VERIFY_P_CHAIN_GAP, m, g->end_us,
		               "chain out of order: links to %s, not to the digest before it, %s", g->prev_object,
		               order[i - 1]->object);
	return add_row(v, di, g->chain, "digest", g->object, "previous digest", RPT_CHECK_VALID, VERIFY_P_NONE, m,
	               g->end_us, "links to %s, whose SHA-256 matches", g->prev_object);
}

static lt_status check_digest_signature(verify_result *v, const verify_keys *keys, vdigest *const *order,
                                        size_t lo, size_t hi, size_t i)
{
	const vdigest *g = order[i];
	size_t di = index_of(v, g);
	if (i + 1 < hi && order[i + 1]->has_prev && order[i + 1]->prev_sig_len > 0 &&
	    strcmp(order[i + 1]->prev_object, g->object) == 0)
		return check_signature(v, keys, di, order[i + 1]->prev_sig, order[i + 1]->prev_sig_len,
		                       order[i + 1]->object);
	for (size_t j = lo; j < hi; j++) {
		const vdigest *n = order[j];
		if (j != i && n->has_prev && strcmp(n->prev_object, g->object) == 0 && n->prev_sig_len > 0)
			return check_signature(v, keys, di, n->prev_sig, n->prev_sig_len, n->object);
	}
	const vsig *s = find_supplied_sig(keys, g->object);
	if (s != NULL)
		return check_signature(v, keys, di, s->sig, s->len, "the supplied signatures");
	return add_row(v, di, g->chain, "digest", g->object, "signature", RPT_CHECK_UNVERIFIABLE, VERIFY_P_NONE,
	               &v->mem[g->member], g->end_us,
	               "no later digest carries its signature: the newest digest's signature is in S3 object "
	               "metadata (x-amz-meta-signature), not in an export, unless supplied");
}

static lt_status check_location(verify_result *v, const vdigest *g)
{
	const vmember *m = &v->mem[g->member];
	size_t di = index_of(v, g);
	if (ends_with_key(m->full, g->object, strlen(g->object)))
		return add_row(v, di, g->chain, "digest", g->object, "location", RPT_CHECK_VALID, VERIFY_P_NONE, m,
		               g->end_us, "found where digestS3Object says");
	return add_row(v, di, g->chain, "digest", g->object, "location", RPT_CHECK_INVALID, VERIFY_P_DIGEST_MOVED, m,
	               g->end_us, "moved: found at %s, digestS3Object says %s", m->full, g->object);
}

static lt_status check_chains(verify_result *v, const verify_keys *keys, lt_error *err)
{
	size_t np = 0;
	vdigest **order = malloc((v->ndg ? v->ndg : 1) * sizeof *order);
	if (order == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	for (size_t i = 0; i < v->ndg; i++)
		if (v->dg[i].parsed)
			order[np++] = &v->dg[i];
	lt_sort(order, np, sizeof *order, cmp_digest);
	for (size_t i = 0; i < np; i++)
		order[i]->rank = i;
	lt_status st = LT_OK;
	v->order = order;
	v->norder = np;
	v->chain_lo = malloc((np + 1) * sizeof *v->chain_lo);
	if (v->chain_lo == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	for (size_t lo = 0; lo < np && st == LT_OK;) {
		size_t hi = lo + 1;
		while (hi < np && strcmp(order[hi]->chain, order[lo]->chain) == 0)
			hi++;
		v->chain_lo[v->nchains++] = lo;
		v->sum.chains++;
		for (size_t i = lo; i < hi && st == LT_OK; i++) {
			st = check_location(v, order[i]);
			if (st == LT_OK)
				st = check_link(v, order, lo, hi, i);
			if (st == LT_OK)
				st = check_digest_signature(v, keys, order, lo, hi, i);
			tell(v, "digests checked", i + 1, np);
		}
		lo = hi;
	}
	v->chain_lo[v->nchains] = np;
	return st == LT_OK ? LT_OK : lt_error_set(err, LT_EFATAL, "out of memory");
}

/* ---- unlisted log files -------------------------------------------------- */

/* "<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<rand>.json.gz" -> prefix of
 * the digest chain key "<acct>_CloudTrail-Digest_<region>_" and the time. */
static bool logfile_name(const char *name, char *prefix, size_t pn, int64_t *t)
{
	const char *ct = strstr(name, "_CloudTrail_");
	if (ct == NULL)
		return false;
	const char *region = ct + strlen("_CloudTrail_");
	const char *us = strchr(region, '_');
	if (us == NULL || strlen(us + 1) < 14)
		return false;
	int n = snprintf(prefix, pn, "%.*s_CloudTrail-Digest_%.*s_", (int)(ct - name), name, (int)(us - region),
	                 region);
	if (n < 0 || (size_t)n >= pn)
		return false;
	const char *ts = us + 1;
	char iso[32];
	snprintf(iso, sizeof iso, "%.4s-%.2s-%.2sT%.2s:%.2sZ", ts, ts + 4, ts + 6, ts + 9, ts + 11);
	return ts[8] == 'T' && ltime_parse(iso, strlen(iso), t) == LT_OK;
}

/* Does a digest of a chain starting with prefix cover t? Binary search per
 * chain (digests ordered by end time). */
static bool covered(const verify_result *v, const char *prefix, int64_t t)
{
	size_t pl = strlen(prefix);
	for (size_t c = 0; c < v->nchains; c++) {
		size_t lo = v->chain_lo[c], hi = v->chain_lo[c + 1];
		if (strncmp(v->order[lo]->chain, prefix, pl) != 0)
			continue;
		while (lo < hi) { /* first digest whose end is after t */
			size_t mid = lo + (hi - lo) / 2;
			if (v->order[mid]->end_us <= t)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < v->chain_lo[c + 1] && v->order[lo]->start_us <= t)
			return true;
	}
	return false;
}

static lt_status check_unlisted(verify_result *v, lt_error *err)
{
	for (size_t i = 0; i < v->nmem; i++) {
		vmember *m = &v->mem[i];
		char prefix[512];
		int64_t t;
		if (m->is_digest || m->listed || !logfile_name(m->name, prefix, sizeof prefix, &t))
			continue;
		lt_status st;
		const char *key = m->path[0] ? m->path : m->full;
		if (covered(v, prefix, t)) {
			v->sum.logfiles_unlisted++;
			st = add_row(v, SIZE_MAX, "", "logfile", key, "listed in a digest", RPT_CHECK_INVALID,
			             VERIFY_P_LOGFILE_UNLISTED, m, t,
			             "not listed in any digest although digests cover its time: not delivered by "
			             "CloudTrail as it is (injected or renamed)");
		} else {
			v->sum.logfiles_uncovered++;
			st = add_row(v, SIZE_MAX, "", "logfile", key, "listed in a digest", RPT_CHECK_UNVERIFIABLE,
			             VERIFY_P_NONE, m, t, "no digest in the evidence covers its time");
		}
		if (st != LT_OK)
			return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	return LT_OK;
}

/* ---- assembling ----------------------------------------------------------- */

static int cmp_row(const void *a, const void *b)
{
	const row_ex *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void summarize(verify_result *v)
{
	v->sum.first_us = -1;
	v->sum.last_us = -1;
	for (size_t i = 0; i < v->ndg; i++) {
		vdigest *g = &v->dg[i];
		v->sum.digests++;
		if (!g->parsed)
			continue;
		if (v->sum.first_us < 0 || g->start_us < v->sum.first_us)
			v->sum.first_us = g->start_us;
		if (g->end_us > v->sum.last_us)
			v->sum.last_us = g->end_us;
	}
	/* per-digest worst status over its digest rows */
	unsigned char *worst = calloc(v->ndg ? v->ndg : 1, 1);
	if (worst == NULL)
		return;
	for (size_t i = 0; i < v->nrows; i++) {
		const row_ex *r = &v->rows[i];
		if (r->digest == SIZE_MAX || strcmp(r->pub.kind, "digest") != 0)
			continue;
		unsigned char s = r->pub.status == RPT_CHECK_INVALID ? 2 : r->pub.status == RPT_CHECK_UNVERIFIABLE;
		if (s > worst[r->digest])
			worst[r->digest] = s;
	}
	for (size_t i = 0; i < v->ndg; i++) {
		if (worst[i] == 2)
			v->sum.digests_invalid++;
		else if (worst[i] == 1)
			v->sum.digests_unverifiable++;
		else
			v->sum.digests_valid++;
	}
	free(worst);
}

lt_status verify_case(case_db *c, const verify_keys *keys, verify_result **out, lt_error *err)
{
	return verify_case_progress(c, keys, NULL, NULL, out, err);
}

lt_status verify_case_progress(case_db *c, const verify_keys *keys, verify_progress_fn fn, void *ctx,
                               verify_result **out, lt_error *err)
{
	*out = NULL;
	verify_result *v = calloc(1, sizeof *v);
	if (v == NULL)
		return lt_error_set(err, LT_EFATAL, "out of memory");
	v->progress = fn;
	v->progress_ctx = ctx;
	v->a = arena_new(0, 0);
	v->by_name = strmap_new(0);
	lt_status st = v->a && v->by_name ? LT_OK : lt_error_set(err, LT_EFATAL, "out of memory");
	if (st == LT_OK)
		st = load_members(v, c, err);
	if (st == LT_OK)
		st = read_digests(v, c, err);
	if (st == LT_OK)
		st = check_chains(v, keys, err);
	if (st == LT_OK)
		st = check_unlisted(v, err);
	if (st == LT_OK) {
		for (size_t i = 0; i < v->nrows; i++)
			v->rows[i].rank = v->rows[i].digest == SIZE_MAX ? SIZE_MAX : v->dg[v->rows[i].digest].rank;
		lt_sort(v->rows, v->nrows, sizeof *v->rows, cmp_row);
		v->out = malloc((v->nrows ? v->nrows : 1) * sizeof *v->out);
		if (v->out == NULL)
			st = lt_error_set(err, LT_EFATAL, "out of memory");
		for (size_t i = 0; st == LT_OK && i < v->nrows; i++)
			v->out[i] = v->rows[i].pub;
		summarize(v);
	}
	if (st != LT_OK) {
		verify_result_free(v);
		return st;
	}
	*out = v;
	return LT_OK;
}

/* ---- report --------------------------------------------------------------- */

static const builtin_rule rules[VERIFY_P_COUNT] = {
	[VERIFY_P_LOGFILE_ALTERED] = {"llmtrail-integrity-logfile-altered",
	                              "CloudTrail log file altered after delivery", RPT_LEVEL_CRITICAL,
	                              "The SHA-256 of a CloudTrail log file's decompressed content differs from the "
	                              "hash its signed digest recorded at delivery.",
	                              "attack.defense-evasion"},
	[VERIFY_P_LOGFILE_MISSING] = {"llmtrail-integrity-logfile-missing",
	                              "CloudTrail log file listed in a digest is missing", RPT_LEVEL_HIGH,
	                              "A digest lists a log file that is not in the evidence: deleted from the bucket "
	                              "or left out of the export.",
	                              "attack.defense-evasion"},
	[VERIFY_P_LOGFILE_UNLISTED] = {"llmtrail-integrity-logfile-unlisted",
	                               "CloudTrail log file not listed in any digest", RPT_LEVEL_HIGH,
	                               "A log file inside the time the digests cover is listed by none of them: "
	                               "CloudTrail did not deliver it under that name.",
	                               "attack.defense-evasion"},
	[VERIFY_P_DIGEST_SIGNATURE] = {"llmtrail-integrity-digest-signature",
	                               "CloudTrail digest signature does not verify", RPT_LEVEL_CRITICAL,
	                               "The RSA signature of a digest file does not verify with the CloudTrail public "
	                               "key it names: the digest was altered or forged.",
	                               "attack.defense-evasion"},
	[VERIFY_P_DIGEST_ALTERED] = {"llmtrail-integrity-digest-altered", "CloudTrail digest file altered",
	                             RPT_LEVEL_CRITICAL,
	                             "The SHA-256 of a digest differs from the previousDigestHashValue the next "
	                             "digest recorded.",
	                             "attack.defense-evasion"},
	[VERIFY_P_DIGEST_UNREADABLE] = {"llmtrail-integrity-digest-unreadable", "CloudTrail digest file unreadable",
	                                RPT_LEVEL_HIGH, "A digest file could not be parsed.",
	                                "attack.defense-evasion"},
	[VERIFY_P_CHAIN_GAP] = {"llmtrail-integrity-chain-gap", "CloudTrail digest chain broken", RPT_LEVEL_HIGH,
	                        "A digest names a previous digest that is not in the evidence, or the chain is out "
	                        "of order: digests were deleted.",
	                        "attack.defense-evasion"},
	[VERIFY_P_CHAIN_RESTART] = {"llmtrail-integrity-chain-restart", "CloudTrail digest chain restarted",
	                            RPT_LEVEL_MEDIUM,
	                            "A digest inside a chain has no previous digest: log file validation was turned "
	                            "off and on, or the trail was recreated.",
	                            "attack.defense-evasion"},
	[VERIFY_P_DIGEST_MOVED] = {"llmtrail-integrity-digest-moved", "CloudTrail digest file moved",
	                           RPT_LEVEL_MEDIUM,
	                           "A digest was found under another key than the digestS3Object it names.",
	                           "attack.defense-evasion"},
};

lt_status verify_add_to_report(const verify_result *v, report *r, lt_error *err)
{
	size_t idx[VERIFY_P_COUNT] = {0};
	lt_status st = LT_OK;
	for (int p = 1; p < VERIFY_P_COUNT && st == LT_OK; p++) {
		st = builtin_add_rule(r, &rules[p], &idx[p], err);
		if (st == LT_OK && v->sum.digests == 0)
			st = report_set_rule_outcome(r, idx[p], RPT_NOT_APPLICABLE,
			                             "no CloudTrail digest files in the case", err);
	}
	for (size_t i = 0; i < v->nrows && st == LT_OK; i++) {
		const verify_row *row = &v->out[i];
		char check[96];
		snprintf(check, sizeof check, "%s %s", row->kind, row->check);
		st = report_add_integrity(r, row->object, check, row->status, row->detail, err);
		if (st != LT_OK || row->problem == VERIFY_P_NONE)
			continue;
		builtin_hit h;
		memset(&h, 0, sizeof h);
		h.source = "integrity";
		h.uid = row->object;
		h.group_name = "object";
		h.group_value = row->object;
		h.time_us = row->time_us >= 0 ? row->time_us : v->sum.first_us;
		h.action = row->check;
		h.evidence = row->evidence;
		h.member = row->member;
		h.detail = row->detail;
		st = builtin_add_hit(r, idx[row->problem], &h, err);
	}
	return st;
}

/* ---- output --------------------------------------------------------------- */

static lt_status write_json(const verify_result *v, buf *b)
{
	const verify_summary *s = &v->sum;
	char t1[LTIME_BUFSZ] = "", t2[LTIME_BUFSZ] = "";
	if (s->first_us >= 0) {
		ltime_format(s->first_us, 0, t1);
		ltime_format(s->last_us, 0, t2);
	}
	lt_status st = buf_printf(
		b,
		"{\"overall\":\"%s\",\"summary\":{\"chains\":%zu,\"digests\":%zu,\"digests_valid\":%zu,"
		"\"digests_invalid\":%zu,\"digests_unverifiable\":%zu,\"logfiles_listed\":%zu,\"logfiles_valid\":%zu,"
		"\"logfiles_altered\":%zu,\"logfiles_missing\":%zu,\"logfiles_unlisted\":%zu,"
		"\"logfiles_uncovered\":%zu,\"covers_from\":%s%s%s,\"covers_until\":%s%s%s},\"checks\":[",
		rpt_check_name(verify_overall(v)), s->chains, s->digests, s->digests_valid, s->digests_invalid,
		s->digests_unverifiable, s->logfiles_listed, s->logfiles_valid, s->logfiles_altered, s->logfiles_missing,
		s->logfiles_unlisted, s->logfiles_uncovered, t1[0] ? "\"" : "", t1[0] ? t1 : "null", t1[0] ? "\"" : "",
		t2[0] ? "\"" : "", t2[0] ? t2 : "null", t2[0] ? "\"" : "");
	for (size_t i = 0; i < v->nrows && st == LT_OK; i++) {
		const verify_row *r = &v->out[i];
		st = buf_printf(b, "%s\n{\"status\":\"%s\",\"kind\":\"%s\",\"check\":\"%s\",\"chain\":", i ? "," : "",
		                rpt_check_name(r->status), r->kind, r->check);
		if (st == LT_OK)
			st = json_write_string(b, r->chain, strlen(r->chain));
		if (st == LT_OK)
			st = buf_puts(b, ",\"object\":");
		if (st == LT_OK)
			st = json_write_string(b, r->object, strlen(r->object));
		if (st == LT_OK)
			st = buf_puts(b, ",\"found_in\":");
		if (st == LT_OK && r->evidence) {
			st = buf_puts(b, "{\"evidence\":");
			if (st == LT_OK)
				st = json_write_string(b, r->evidence, strlen(r->evidence));
			if (st == LT_OK)
				st = buf_puts(b, ",\"member\":");
			if (st == LT_OK)
				st = json_write_string(b, r->member, strlen(r->member));
			if (st == LT_OK)
				st = buf_putc(b, '}');
		} else if (st == LT_OK)
			st = buf_puts(b, "null");
		if (st == LT_OK)
			st = buf_puts(b, ",\"detail\":");
		if (st == LT_OK)
			st = json_write_string(b, r->detail, strlen(r->detail));
		if (st == LT_OK)
			st = buf_putc(b, '}');
	}
	if (st == LT_OK)
		st = buf_puts(b, "\n]}");
	return st;
}

static lt_status write_table(const verify_result *v, buf *b)
{
	const verify_summary *s = &v->sum;
	lt_status st = buf_printf(b,
	                          "overall: %s\n"
	                          "chains: %zu, digests: %zu (valid %zu, invalid %zu, unverifiable %zu)\n"
	                          "log files listed: %zu (valid %zu, altered %zu, missing %zu); "
	                          "in the evidence but unlisted: %zu, not covered by a digest: %zu\n\n",
	                          rpt_check_name(verify_overall(v)), s->chains, s->digests, s->digests_valid,
	                          s->digests_invalid, s->digests_unverifiable, s->logfiles_listed, s->logfiles_valid,
	                          s->logfiles_altered, s->logfiles_missing, s->logfiles_unlisted,
	                          s->logfiles_uncovered);
	if (st == LT_OK && v->nrows)
		st = buf_puts(b, "STATUS        KIND     CHECK               OBJECT  DETAIL\n");
	for (size_t i = 0; i < v->nrows && st == LT_OK; i++) {
		const verify_row *r = &v->out[i];
		st = buf_printf(b, "%-13s %-8s %-19s ", rpt_check_name(r->status), r->kind, r->check);
		if (st == LT_OK)
			st = case_escape_text(b, r->object, strlen(r->object));
		if (st == LT_OK)
			st = buf_puts(b, "  ");
		if (st == LT_OK)
			st = case_escape_text(b, r->detail, strlen(r->detail));
		if (st == LT_OK)
			st = buf_putc(b, '\n');
	}
	return st;
}

lt_status verify_write(const verify_result *v, const char *format, buf *out)
{
	if (format != NULL && strcmp(format, "json") == 0)
		return write_json(v, out);
	return write_table(v, out);
}
