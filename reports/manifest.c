/*
 * manifest.c — the signed manifest of a report set (see manifest.h).
 *
 * Writing: each report file of the folder is hashed in 64 KiB reads
 * (ingest/sha256.h), the evidence lines come from the report's custody rows
 * (their stored SHA-256, as the case recorded it at indexing), and the
 * manifest text is built in memory (it is small: one line per member), then
 * signed with EVP_DigestSign and both files written. Reading: the manifest
 * (capped at MANIFEST_MAX_BYTES) and signature are read whole, the signature
 * checked with EVP_DigestVerify, then each "output/" line's file re-hashed.
 * Names in the manifest are escaped (\xNN) so that an evidence member named
 * with a newline cannot forge a line.
 */
#include "config.h"

#include "reports/manifest.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ingest/sha256.h"

struct manifest_key {
	EVP_PKEY *pkey;
	bool private_key;
};

lt_status manifest_key_load(const char *path, bool private_key, manifest_key **out, lt_error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		lt_error_where(err, path, NULL, 0);
		return lt_error_set(err, LT_EFILE, "cannot open: %s", strerror(errno));
	}
	EVP_PKEY *k = private_key ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL) {
		lt_error_where(err, path, NULL, 0);
		return lt_error_set(err, LT_EFILE, "not a PEM %s key (unencrypted)", private_key ? "private" : "public");
	}
	manifest_key *m = calloc(1, sizeof *m);
	if (m == NULL) {
		EVP_PKEY_free(k);
		return lt_error_set(err, LT_EFATAL, "out of memory");
	}
	m->pkey = k;
	m->private_key = private_key;
	*out = m;
	return LT_OK;
}

void manifest_key_free(manifest_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* SHA-256 for RSA and EC keys; none (the scheme's own) for Ed25519/Ed448. */
static const EVP_MD *digest_for(const EVP_PKEY *k)
{
	int id = EVP_PKEY_id(k);
	return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL : EVP_sha256();
}

/* ---- hashing and escaping ------------------------------------------------ */

static lt_status hash_file(const char *path, char hex[65], lt_error *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		lt_error_where(err, path, NULL, 0);
		return lt_error_set(err, LT_EFILE, "cannot open: %s", strerror(errno));
	}
	sha256_ctx *c = sha256_new();
	unsigned char *chunk = malloc(64 * 1024);
	lt_status st = c != NULL && chunk != NULL ? LT_OK : lt_error_set(err, LT_EFATAL, "out of memory");
	size_t n;
	while (st == LT_OK && (n = fread(chunk, 1, 64 * 1024, f)) > 0)
		sha256_update(c, chunk, n);
	if (st == LT_OK && ferror(f)) {
		lt_error_where(err, path, NULL, 0);
		st = lt_error_set(err, LT_EFILE, "cannot read: %s", strerror(errno ? errno : EIO));
	}
	if (st == LT_OK && sha256_final_hex(c, hex) != LT_OK)
		st = lt_error_set(err, LT_EFATAL, "sha256 failed");
	fclose(f);
	free(chunk);
	sha256_free(c);
	return st;
}

static lt_status put_escaped(buf *b, const char *p, size_t n)
{
	lt_status st = LT_OK;
	for (size_t i = 0; st == LT_OK && i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		st = ch < 0x20 || ch == 0x7f || ch == '\\' ? buf_printf(b, "\\x%02x", ch) : buf_putc(b, (char)ch);
	}
	return st;
}

/* ---- writing ---------------------------------------------------------------- */

static lt_status write_whole(const char *path, const void *data, size_t n, lt_error *err)
{
	FILE *f = fopen(path, "wb");
	bool ok = f != NULL && fwrite(data, 1, n, f) == n;
	if (f != NULL && fclose(f) != 0)
		ok = false;
	if (ok)
		return LT_OK;
	lt_error_where(err, path, NULL, 0);
	return lt_error_set(err, LT_EFILE, "cannot write: %s", strerror(errno ? errno : EIO));
}

static lt_status sign(const manifest_key *key, const buf *msg, unsigned char *sig, size_t *siglen, lt_error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx != NULL && EVP_DigestSignInit(ctx, NULL, digest_for(key->pkey), NULL, key->pkey) == 1 &&
	          EVP_DigestSign(ctx, sig, siglen, (const unsigned char *)msg->data, msg->len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? LT_OK : lt_error_set(err, LT_EFILE, "signing the manifest failed (key type not supported?)");
}

static lt_status output_lines(buf *m, const char *dir, const char *const *names, size_t n, lt_error *err)
{
	lt_status st = LT_OK;
	for (size_t i = 0; st == LT_OK && i < n; i++) {
		char path[PATH_MAX], hex[65];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		FILE *probe = fopen(path, "rb");
		if (probe == NULL)
			continue; /* not written in this run (--format) */
		fclose(probe);
		st = hash_file(path, hex, err);
		if (st == LT_OK)
			st = buf_printf(m, "%s  output/", hex);
		if (st == LT_OK)
			st = put_escaped(m, names[i], strlen(names[i]));
		if (st == LT_OK)
			st = buf_putc(m, '\n');
	}
	return st;
}

static lt_status evidence_lines(buf *m, const report *r)
{
	lt_status st = LT_OK;
	for (size_t i = 0; st == LT_OK && i < report_nevidence(r); i++) {
		const rpt_evidence *e = report_evidence(r, i);
		st = buf_append(m, e->sha256.p, e->sha256.n);
		if (st == LT_OK)
			st = buf_puts(m, "  evidence/");
		if (st == LT_OK)
			st = put_escaped(m, e->path.p, e->path.n);
		if (st == LT_OK && e->member.n) {
			st = buf_puts(m, " :: ");
			if (st == LT_OK)
				st = put_escaped(m, e->member.p, e->member.n);
		}
		if (st == LT_OK)
			st = buf_putc(m, '\n');
	}
	return st;
}

lt_status manifest_evidence_digest(const report *r, char digest[65], lt_error *err)
{
	buf m;
	buf_init(&m, MANIFEST_MAX_BYTES);
	lt_status st = evidence_lines(&m, r) != LT_OK
	                   ? lt_error_set(err, LT_EFATAL, "manifest: out of memory or larger than 256 MiB")
	               : sha256_hex(m.data ? m.data : "", m.len, digest) != LT_OK ? lt_error_set(err, LT_EFATAL, "sha256 failed")
	                                                                         : LT_OK;
	buf_free(&m);
	return st;
}

lt_status manifest_write(const report *r, const char *dir, const char *const *names, size_t n,
                         const manifest_key *key, char digest[65], lt_error *err)
{
	buf m;
	buf_init(&m, MANIFEST_MAX_BYTES);
	lt_status st = output_lines(&m, dir, names, n, err);
	if (st == LT_OK && evidence_lines(&m, r) != LT_OK)
		st = lt_error_set(err, LT_EFATAL, "manifest: out of memory or larger than 256 MiB");
	unsigned char sig[MANIFEST_MAX_SIG];
	size_t siglen = sizeof sig;
	if (st == LT_OK)
		st = sign(key, &m, sig, &siglen, err);
	if (st == LT_OK && sha256_hex(m.data ? m.data : "", m.len, digest) != LT_OK)
		st = lt_error_set(err, LT_EFATAL, "sha256 failed");
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_NAME);
	if (st == LT_OK)
		st = write_whole(path, m.data ? m.data : "", m.len, err);
	snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_SIG_NAME);
	if (st == LT_OK)
		st = write_whole(path, sig, siglen, err);
	buf_free(&m);
	return st;
}

/* ---- verifying ---------------------------------------------------------------- */

static lt_status read_whole(const char *path, size_t cap, buf *out, lt_error *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		lt_error_where(err, path, NULL, 0);
		return lt_error_set(err, LT_EFILE, "cannot open: %s", strerror(errno));
	}
	char chunk[8192];
	size_t n;
	lt_status st = LT_OK;
	while (st == LT_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (out->len + n > cap || buf_append(out, chunk, n) != LT_OK) {
			lt_error_where(err, path, NULL, 0);
			st = lt_error_set(err, LT_EFILE, "larger than %zu bytes", cap);
		}
	if (st == LT_OK && ferror(f)) {
		lt_error_where(err, path, NULL, 0);
		st = lt_error_set(err, LT_EFILE, "cannot read: %s", strerror(errno ? errno : EIO));
	}
	fclose(f);
	return st;
}

/* An "output/NAME" line's file: its name must be a plain file name of the
 * folder (no '/', no escapes), else it is reported as altered. */
static lt_status check_output(const char *dir, const char *line, size_t n, manifest_check *out, buf *say)
{
	const char *name = line + 64 + 2 + 7;
	size_t nn = n - (64 + 2 + 7);
	out->outputs++;
	char path[PATH_MAX], hex[65];
	if (nn == 0 || memchr(name, '/', nn) != NULL || memchr(name, '\\', nn) != NULL || nn > 255) {
		out->altered++;
		return buf_printf(say, "bad output name in the manifest: %.*s\n", (int)(nn > 80 ? 80 : nn), name);
	}
	snprintf(path, sizeof path, "%s/%.*s", dir, (int)nn, name);
	lt_error e;
	lt_error_clear(&e);
	if (hash_file(path, hex, &e) != LT_OK) {
		out->missing++;
		return buf_printf(say, "missing: %.*s\n", (int)nn, name);
	}
	if (memcmp(hex, line, 64) != 0) {
		out->altered++;
		return buf_printf(say, "altered: %.*s (SHA-256 %s, the manifest says %.64s)\n", (int)nn, name, hex, line);
	}
	out->outputs_ok++;
	return LT_OK;
}

/* report.html's shown digest of the evidence lines against the manifest's. */
static lt_status check_html(const char *dir, const buf *evidence, manifest_check *out, buf *say)
{
	if (sha256_hex(evidence->data ? evidence->data : "", evidence->len, out->evidence_digest) != LT_OK)
		return LT_EFATAL;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/report.html", dir);
	buf h;
	buf_init(&h, 0);
	lt_error e;
	lt_error_clear(&e);
	if (read_whole(path, (size_t)64 << 20, &h, &e) != LT_OK) {
		buf_free(&h);
		out->html_evidence = MANIFEST_HTML_NONE;
		return LT_OK;
	}
	static const char mark[] = MANIFEST_HTML_MARK;
	const char *at = h.len >= sizeof mark - 1 + 64
	                     ? memmem(h.data, h.len, mark, sizeof mark - 1)
	                     : NULL;
	lt_status st = LT_OK;
	if (at == NULL || (size_t)(h.data + h.len - at) < sizeof mark - 1 + 64) {
		out->html_evidence = MANIFEST_HTML_ABSENT;
		st = buf_puts(say, "report.html shows no digest of the manifest's evidence lines\n");
	} else if (memcmp(at + sizeof mark - 1, out->evidence_digest, 64) != 0) {
		out->html_evidence = MANIFEST_HTML_DIFFERS;
		st = buf_printf(say, "report.html shows evidence manifest %.64s, the manifest's evidence lines hash to %s\n",
		                at + sizeof mark - 1, out->evidence_digest);
	} else {
		out->html_evidence = MANIFEST_HTML_MATCHES;
	}
	buf_free(&h);
	return st;
}

static lt_status check_lines(const char *dir, const buf *m, manifest_check *out, buf *say)
{
	lt_status st = LT_OK;
	buf ev;
	buf_init(&ev, MANIFEST_MAX_BYTES);
	const char *p = m->data ? m->data : "", *end = p + m->len;
	while (st == LT_OK && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 64 + 2 + 7 && memcmp(p + 64, "  output/", 9) == 0)
			st = check_output(dir, p, n, out, say);
		else if (n > 64 + 2 + 9 && memcmp(p + 64, "  evidence/", 11) == 0) {
			out->evidence++;
			if (buf_append(&ev, p, n) != LT_OK || buf_putc(&ev, '\n') != LT_OK)
				st = LT_EFATAL;
		} else {
			out->altered++;
			st = buf_printf(say, "unreadable manifest line: %.*s\n", (int)(n > 80 ? 80 : n), p);
		}
		p += n + 1;
	}
	if (st == LT_OK)
		st = check_html(dir, &ev, out, say);
	buf_free(&ev);
	return st;
}

lt_status manifest_verify(const char *dir, const manifest_key *key, manifest_check *out, buf *say, lt_error *err)
{
	memset(out, 0, sizeof *out);
	buf m, sig;
	buf_init(&m, 0);
	buf_init(&sig, 0);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_NAME);
	lt_status st = read_whole(path, MANIFEST_MAX_BYTES, &m, err);
	snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_SIG_NAME);
	if (st == LT_OK)
		st = read_whole(path, MANIFEST_MAX_SIG, &sig, err);
	if (st == LT_OK && sha256_hex(m.data ? m.data : "", m.len, out->digest) != LT_OK)
		st = lt_error_set(err, LT_EFATAL, "sha256 failed");
	if (st == LT_OK) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		out->signature_ok = ctx != NULL &&
		                    EVP_DigestVerifyInit(ctx, NULL, digest_for(key->pkey), NULL, key->pkey) == 1 &&
		                    EVP_DigestVerify(ctx, (const unsigned char *)sig.data, sig.len,
		                                     (const unsigned char *)(m.data ? m.data : ""), m.len) == 1;
		EVP_MD_CTX_free(ctx);
		if (!out->signature_ok && buf_puts(say, "the signature does not verify with this key: the manifest was "
		                                        "altered, or signed with another key\n") != LT_OK)
			st = lt_error_set(err, LT_EFATAL, "out of memory");
	}
	if (st == LT_OK && check_lines(dir, &m, out, say) != LT_OK)
		st = lt_error_set(err, LT_EFATAL, "out of memory");
	buf_free(&m);
	buf_free(&sig);
	return st;
}
