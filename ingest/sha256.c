/*
 * sha256.c — SHA-256 through OpenSSL EVP (see sha256.h).
 *
 * Why EVP and not a local implementation: EVP picks the SHA-NI / ARMv8
 * instructions at run time, which makes hashing every evidence byte cost
 * less than decompressing it. The context remembers the first failure so
 * that callers can update in a hot loop without checking each call, and
 * learn about it once, at sha256_final. FIPS 180-4.
 */
#include "ingest/sha256.h"

#include "common/buf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct sha256_ctx {
	EVP_MD_CTX *md;
	bool failed;
};

sha256_ctx *sha256_new(void)
{
	sha256_ctx *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->md = EVP_MD_CTX_new();
	if (c->md == NULL || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c->md);
		free(c);
		return NULL;
	}
	return c;
}

void sha256_free(sha256_ctx *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

lt_status sha256_reset(sha256_ctx *c)
{
	c->failed = EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1;
	return c->failed ? LT_EFATAL : LT_OK;
}

void sha256_update(sha256_ctx *c, const void *data, size_t n)
{
	if (n == 0 || c->failed)
		return;
	if (EVP_DigestUpdate(c->md, data, n) != 1)
		c->failed = true;
}

lt_status sha256_final(sha256_ctx *c, unsigned char out[SHA256_LEN])
{
	unsigned int len = 0;
	memset(out, 0, SHA256_LEN);
	if (c->failed)
		return LT_EFATAL;
	if (EVP_DigestFinal_ex(c->md, out, &len) != 1 || len != SHA256_LEN) {
		c->failed = true;
		memset(out, 0, SHA256_LEN);
		return LT_EFATAL;
	}
	return LT_OK;
}

void sha256_to_hex(const unsigned char digest[SHA256_LEN], char out[SHA256_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0x0f];
	}
	out[SHA256_HEX_LEN] = '\0';
}

lt_status sha256_final_hex(sha256_ctx *c, char out[SHA256_HEX_LEN + 1])
{
	unsigned char d[SHA256_LEN];
	lt_status st = sha256_final(c, d);
	if (st != LT_OK) {
		out[0] = '\0';
		return st;
	}
	sha256_to_hex(d, out);
	return LT_OK;
}

lt_status sha256_hex(const void *data, size_t n, char out[SHA256_HEX_LEN + 1])
{
	unsigned char d[SHA256_LEN];
	unsigned int len = 0;
	if (EVP_Digest(n > 0 ? data : "", n, d, &len, EVP_sha256(), NULL) != 1 ||
	    len != SHA256_LEN) {
		out[0] = '\0';
		return LT_EFATAL;
	}
	sha256_to_hex(d, out);
	return LT_OK;
}

lt_status sha256_abbrev(buf *b, const char *t, size_t n, size_t keep)
{
	char hex[SHA256_HEX_LEN + 1];
	if (keep >= n || sha256_hex(t, n, hex) != LT_OK)
		return LT_EFATAL;
	while (keep > 0 && ((unsigned char)t[keep] & 0xC0) == 0x80) /* not inside a UTF-8 character */
		keep--;
	hex[SHA256_ABBREV_HEX] = '\0';
	lt_status st = buf_append(b, t, keep);
	return st == LT_OK ? buf_printf(b, "...(%zu bytes, sha256:%s)", n, hex) : st;
}
