/*
 * gen_digest.c — CloudTrail digest chains, signing, public-key listing.
 *
 * Design note: follows "CloudTrail digest file structure" and "Custom
 * implementations of CloudTrail log file integrity validation" in the
 * CloudTrail user guide. Each digest lists the log files delivered in its
 * hour with hashValue = SHA-256 of the decompressed file; it carries the
 * previous digest's object key, the SHA-256 of the previous digest's
 * decompressed bytes and the previous digest's hex signature. The digest's own
 * signature (which S3 keeps in object metadata, lost in most exports) signs
 *   digestEndTime \n digestS3Bucket/digestS3Object \n hex(sha256(digest)) \n previousDigestSignature
 * with "null" as the last line for the first digest. PKCS#1 v1.5 signatures
 * are deterministic, so a fixed key gives reproducible output. Without --key
 * the key is derived from the seed (primes searched upwards from PRNG bytes),
 * never from the system's randomness: a random key changed each digest's
 * bytes, hence the --size feedback loop and every file after the first hour.
 * Such a key protects nothing (it is written beside the evidence anyway).
 * The signatures are also listed in a side file so that the last digest can
 * be checked too.
 */
#include "config.h"

#include "testdata/gen/gen_digest.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gen_signer {
	EVP_PKEY *key;
	unsigned char *der; /* PKCS#1 RSAPublicKey */
	size_t der_len;
	char fingerprint[33];
};

static void public_der(gen_signer *s)
{
	OSSL_ENCODER_CTX *ctx = OSSL_ENCODER_CTX_new_for_pkey(s->key, EVP_PKEY_PUBLIC_KEY, "DER", "type-specific", NULL);
	if (!ctx || OSSL_ENCODER_CTX_get_num_encoders(ctx) == 0)
		gen_die("no DER encoder for the RSA public key");
	unsigned char *der = NULL;
	size_t len = 0;
	if (!OSSL_ENCODER_to_data(ctx, &der, &len))
		gen_die("cannot encode the RSA public key");
	OSSL_ENCODER_CTX_free(ctx);
	s->der = der;
	s->der_len = len;
	gen_md5_hex(der, len, s->fingerprint);
}

#define KEY_BITS 2048

/* The first prime >= a PRNG-drawn odd number of bits/2 bits with its top two
 * bits set (so p*q has exactly KEY_BITS bits) and gcd(p - 1, e) = 1. */
static BIGNUM *seeded_prime(gen_rng *r, const BIGNUM *e, BN_CTX *ctx)
{
	unsigned char bytes[KEY_BITS / 16];
	for (size_t i = 0; i < sizeof bytes; i += 8) {
		uint64_t v = gen_rng_next(r);
		for (size_t k = 0; k < 8; k++) /* the same bytes whatever the host's byte order */
			bytes[i + k] = (unsigned char)(v >> (8 * k));
	}
	bytes[0] |= 0xC0;
	bytes[sizeof bytes - 1] |= 1;
	BIGNUM *p = BN_bin2bn(bytes, (int)sizeof bytes, NULL);
	BIGNUM *pm1 = BN_new(), *g = BN_new();
	if (!p || !pm1 || !g)
		gen_die("out of memory");
	for (;;) {
		if (!BN_sub(pm1, p, BN_value_one()) || !BN_gcd(g, pm1, e, ctx))
			gen_die("RSA key derivation failed");
		if (BN_is_one(g) && BN_check_prime(p, ctx, NULL) == 1)
			break;
		if (!BN_add_word(p, 2))
			gen_die("RSA key derivation failed");
	}
	BN_free(pm1);
	BN_free(g);
	return p;
}

/* An RSA-2048 key that depends on seed only. */
static EVP_PKEY *seeded_key(uint64_t seed)
{
	gen_rng r;
	gen_rng_seed(&r, seed, 0x5349474eu); /* "SIGN": a stream of its own */
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *e = BN_new();
	if (!ctx || !e || !BN_set_word(e, 65537))
		gen_die("out of memory");
	BIGNUM *p = seeded_prime(&r, e, ctx), *q = seeded_prime(&r, e, ctx);
	if (BN_cmp(p, q) < 0) {
		BIGNUM *t = p;
		p = q;
		q = t;
	}
	BIGNUM *n = BN_new(), *d = BN_new(), *p1 = BN_new(), *q1 = BN_new(), *phi = BN_new();
	BIGNUM *dp = BN_new(), *dq = BN_new(), *qinv = BN_new();
	if (!n || !d || !p1 || !q1 || !phi || !dp || !dq || !qinv || BN_cmp(p, q) == 0 || !BN_mul(n, p, q, ctx) ||
	    !BN_sub(p1, p, BN_value_one()) || !BN_sub(q1, q, BN_value_one()) || !BN_mul(phi, p1, q1, ctx) ||
	    !BN_mod_inverse(d, e, phi, ctx) || !BN_mod(dp, d, p1, ctx) || !BN_mod(dq, d, q1, ctx) ||
	    !BN_mod_inverse(qinv, q, p, ctx))
		gen_die("RSA key derivation failed");
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	if (!b || !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_D, d) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv))
		gen_die("RSA key derivation failed");
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;
	if (!params || !pc || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &key, EVP_PKEY_KEYPAIR, params) != 1)
		gen_die("RSA key derivation failed");
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BIGNUM *all[] = {e, p, q, n, d, p1, q1, phi, dp, dq, qinv};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		BN_clear_free(all[i]);
	BN_CTX_free(ctx);
	return key;
}

gen_signer *gen_signer_new(const char *key_path, const char *save_path, uint64_t seed)
{
	gen_signer *s = gen_xmalloc(sizeof *s);
	memset(s, 0, sizeof *s);
	if (key_path) {
		FILE *f = fopen(key_path, "r");
		if (!f)
			gen_die("%s: cannot open key", key_path);
		s->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (!s->key || EVP_PKEY_get_base_id(s->key) != EVP_PKEY_RSA)
			gen_die("%s: not an RSA private key in PEM", key_path);
	} else {
		s->key = seeded_key(seed);
		if (save_path) {
			gen_mkdirs_for(save_path);
			FILE *f = fopen(save_path, "w");
			if (!f)
				gen_die("%s: cannot create", save_path);
			if (!PEM_write_PrivateKey(f, s->key, NULL, NULL, 0, NULL, NULL))
				gen_die("%s: cannot write key", save_path);
			fclose(f);
		}
	}
	public_der(s);
	return s;
}

void gen_signer_free(gen_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	OPENSSL_free(s->der);
	free(s);
}

const char *gen_signer_fingerprint(const gen_signer *s)
{
	return s->fingerprint;
}

void gen_signer_sign_hex(const gen_signer *s, const char *msg, size_t n, gen_sb *hex)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t siglen = 0;
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)msg, n) != 1)
		gen_die("RSA signing failed");
	unsigned char *sig = gen_xmalloc(siglen);
	if (EVP_DigestSign(md, sig, &siglen, (const unsigned char *)msg, n) != 1)
		gen_die("RSA signing failed");
	EVP_MD_CTX_free(md);
	gen_sb_reset(hex);
	gen_sb_reserve(hex, siglen * 2);
	gen_hex_encode(sig, siglen, hex->data);
	hex->len = siglen * 2;
	free(sig);
}

void gen_signer_write_public_keys(const gen_signer *s, const char *path, int64_t start, int64_t end)
{
	size_t b64len = 4 * ((s->der_len + 2) / 3);
	char *b64 = gen_xmalloc(b64len + 1);
	EVP_EncodeBlock((unsigned char *)b64, s->der, (int)s->der_len);
	char t0[32], t1[32];
	gen_time_fmt(start, "%Y-%m-%dT%H:%M:%S+00:00", t0, sizeof t0);
	gen_time_fmt(end, "%Y-%m-%dT%H:%M:%S+00:00", t1, sizeof t1);
	gen_sb o;
	gen_sb_init(&o);
	gen_sb_printf(&o, "{\n    \"PublicKeyList\": [\n        {\n            \"Value\": \"%s\",\n", b64);
	gen_sb_printf(&o, "            \"ValidityStartTime\": \"%s\",\n            \"ValidityEndTime\": \"%s\",\n", t0, t1);
	gen_sb_printf(&o, "            \"Fingerprint\": \"%s\"\n        }\n    ]\n}\n", s->fingerprint);
	gen_write_file(path, o.data, o.len);
	gen_sb_free(&o);
	free(b64);
}

/* ------------------------------------------------------------- chains */

struct gen_chain {
	gen_chain_id id;
	char prev_key[320];
	char prev_hash[65];
	gen_sb prev_sig;
	int has_prev;
	gen_sb files; /* logFiles entries, comma-separated */
	int nfiles;
	int64_t oldest, newest;
	gen_sb json, gz;
};

gen_chain *gen_chain_new(const gen_chain_id *id)
{
	gen_chain *c = gen_xmalloc(sizeof *c);
	memset(c, 0, sizeof *c);
	c->id = *id;
	gen_sb_init(&c->prev_sig);
	gen_sb_init(&c->files);
	gen_sb_init(&c->json);
	gen_sb_init(&c->gz);
	return c;
}

void gen_chain_free(gen_chain *c)
{
	if (!c)
		return;
	gen_sb_free(&c->prev_sig);
	gen_sb_free(&c->files);
	gen_sb_free(&c->json);
	gen_sb_free(&c->gz);
	free(c);
}

void gen_chain_add_log(gen_chain *c, const char *key, const char *sha256_hex, int64_t oldest, int64_t newest)
{
	char t0[32], t1[32];
	gen_time_iso(oldest, t0);
	gen_time_iso(newest, t1);
	if (c->nfiles)
		gen_sb_putc(&c->files, ',');
	gen_sb_put(&c->files, "{\"s3Bucket\":");
	gen_sb_jstr(&c->files, c->id.bucket);
	gen_sb_put(&c->files, ",\"s3Object\":");
	gen_sb_jstr(&c->files, key);
	gen_sb_printf(&c->files, ",\"hashValue\":\"%s\",\"hashAlgorithm\":\"SHA-256\",\"newestEventTime\":\"%s\",\"oldestEventTime\":\"%s\"}",
		      sha256_hex, t1, t0);
	if (!c->nfiles || oldest < c->oldest)
		c->oldest = oldest;
	if (!c->nfiles || newest > c->newest)
		c->newest = newest;
	c->nfiles++;
}

static void digest_key(const gen_chain *c, int64_t end, char *out, size_t cap)
{
	char ymd[16], stamp[24];
	gen_time_fmt(end, "%Y/%m/%d", ymd, sizeof ymd);
	gen_time_fmt(end, "%Y%m%dT%H%M%SZ", stamp, sizeof stamp);
	snprintf(out, cap, "AWSLogs/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz", c->id.account,
		 c->id.region, ymd, c->id.account, c->id.region, c->id.trail, c->id.home_region, stamp);
}

static void opt_str(gen_sb *o, const char *key, const char *v)
{
	gen_sb_key(o, key);
	if (v)
		gen_sb_jstr(o, v);
	else
		gen_sb_put(o, "null");
}

static void build_json(gen_chain *c, const gen_signer *s, const char *key, int64_t start, int64_t end)
{
	gen_sb *o = &c->json;
	char t0[32], t1[32], oldest[32], newest[32];
	gen_time_iso(start, t0);
	gen_time_iso(end, t1);
	gen_time_iso(c->oldest, oldest);
	gen_time_iso(c->newest, newest);
	gen_sb_reset(o);
	gen_sb_put(o, "{\"awsAccountId\":");
	gen_sb_jstr(o, c->id.account);
	gen_sb_printf(o, ",\"digestStartTime\":\"%s\",\"digestEndTime\":\"%s\",\"digestS3Bucket\":", t0, t1);
	gen_sb_jstr(o, c->id.bucket);
	gen_sb_put(o, ",\"digestS3Object\":");
	gen_sb_jstr(o, key);
	gen_sb_printf(o, ",\"digestPublicKeyFingerprint\":\"%s\",\"digestSignatureAlgorithm\":\"SHA256withRSA\",",
		      gen_signer_fingerprint(s));
	opt_str(o, "newestEventTime", c->nfiles ? newest : NULL);
	gen_sb_putc(o, ',');
	opt_str(o, "oldestEventTime", c->nfiles ? oldest : NULL);
	gen_sb_putc(o, ',');
	opt_str(o, "previousDigestS3Bucket", c->has_prev ? c->id.bucket : NULL);
	gen_sb_putc(o, ',');
	opt_str(o, "previousDigestS3Object", c->has_prev ? c->prev_key : NULL);
	gen_sb_putc(o, ',');
	opt_str(o, "previousDigestHashValue", c->has_prev ? c->prev_hash : NULL);
	gen_sb_putc(o, ',');
	opt_str(o, "previousDigestHashAlgorithm", c->has_prev ? "SHA-256" : NULL);
	gen_sb_putc(o, ',');
	opt_str(o, "previousDigestSignature", c->has_prev ? gen_sb_cstr(&c->prev_sig) : NULL);
	gen_sb_put(o, ",\"logFiles\":[");
	if (c->nfiles)
		gen_sb_putn(o, c->files.data, c->files.len);
	gen_sb_put(o, "]}");
}

size_t gen_chain_emit(gen_chain *c, const gen_signer *s, gen_gz *gz, const char *root, int64_t start,
		      int64_t end, gen_sb *sig_lines)
{
	char key[320];
	digest_key(c, end, key, sizeof key);
	build_json(c, s, key, start, end);
	char hash[65], t1[32];
	gen_sha256_hex(c->json.data, c->json.len, hash);
	gen_time_iso(end, t1);

	gen_sb msg, sig;
	gen_sb_init(&msg);
	gen_sb_init(&sig);
	gen_sb_printf(&msg, "%s\n%s/%s\n%s\n%s", t1, c->id.bucket, key, hash,
		      c->has_prev ? gen_sb_cstr(&c->prev_sig) : "null");
	gen_signer_sign_hex(s, msg.data, msg.len, &sig);

	gen_gz_compress(gz, c->json.data, c->json.len, &c->gz);
	gen_sb path;
	gen_sb_init(&path);
	gen_sb_printf(&path, "%s/%s", root, key);
	gen_write_file(path.data, c->gz.data, c->gz.len);

	gen_sb_put(sig_lines, "{\"digestS3Object\":");
	gen_sb_jstr(sig_lines, key);
	gen_sb_printf(sig_lines, ",\"signature\":\"%s\"}\n", sig.data);

	snprintf(c->prev_key, sizeof c->prev_key, "%s", key);
	memcpy(c->prev_hash, hash, sizeof hash);
	gen_sb_reset(&c->prev_sig);
	gen_sb_putn(&c->prev_sig, sig.data, sig.len);
	c->has_prev = 1;
	gen_sb_reset(&c->files);
	c->nfiles = 0;
	size_t n = c->gz.len;
	gen_sb_free(&msg);
	gen_sb_free(&sig);
	gen_sb_free(&path);
	return n;
}
