/*
 * bench_gunzip.c — output throughput of libdeflate (gunzip_buffer) against
 * zlib's streaming inflate, on ~50 MB of CloudTrail-like JSON gzip'd here at
 * level 6. Best of 3 runs each. gunzip_buffer includes allocating (and
 * page-faulting) its output; the "raw" and zlib lines write into a reused buffer. Built by make, not run by make check:
 *   tests/bench/bench_gunzip [MB]
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libdeflate.h>
#include <zlib.h>

#include "ingest/gunzip.h"
#include "ingest/sha256.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *make_json(size_t n, size_t *len)
{
	char *t = malloc(n + 1024);
	if (t == NULL)
		return NULL;
	size_t k = 0;
	unsigned seed = 42;
	static const char *names[] = {"InvokeModel", "Converse", "ListFoundationModels", "GetObject"};
	while (k < n) {
		seed = seed * 1103515245u + 12345u;
		k += (size_t)snprintf(t + k, n + 1024 - k,
			"{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":"
			"\"arn:aws:sts::111122223333:assumed-role/r%u/s\"},\"eventTime\":\"2024-05-01T%02u:%02u:%02uZ\","
			"\"eventSource\":\"bedrock.amazonaws.com\",\"eventName\":\"%s\",\"sourceIPAddress\":"
			"\"10.%u.%u.%u\",\"requestID\":\"%08x-%04x\",\"eventID\":\"%08x\"}\n",
			seed % 50, seed % 24, (seed >> 5) % 60, (seed >> 11) % 60, names[seed % 4],
			seed & 255, (seed >> 8) & 255, (seed >> 16) & 255, seed, seed >> 16, seed * 7u);
	}
	*len = k;
	return t;
}

static unsigned char *gzip_level6(const char *in, size_t len, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, (uLong)len);
	unsigned char *out = malloc(cap);
	if (out == NULL)
		return NULL;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

static size_t zlib_inflate_all(const unsigned char *in, size_t inlen, unsigned char *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return 0;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)inlen;
	size_t done = 0;
	int rc;
	do {
		z.next_out = out + done;
		z.avail_out = (uInt)(cap - done > (1u << 20) ? (1u << 20) : cap - done);
		uInt before = z.avail_out;
		rc = inflate(&z, Z_NO_FLUSH);
		done += before - z.avail_out;
	} while (rc == Z_OK);
	inflateEnd(&z);
	return rc == Z_STREAM_END ? done : 0;
}

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 50;
	size_t tlen, zlen;
	char *text = make_json(mb << 20, &tlen);
	unsigned char *z = text != NULL ? gzip_level6(text, tlen, &zlen) : NULL;
	unsigned char *out = malloc(tlen);
	if (z == NULL || out == NULL) {
		fprintf(stderr, "bench_gunzip: out of memory\n");
		return 1;
	}
	printf("input: %zu bytes of JSON, gzip -6 to %zu bytes (%.1f:1)\n", tlen, zlen,
		(double)tlen / (double)zlen);
	gunzip_result reused = {0};
	double best_reuse = 1e9;
	double best_ld = 1e9, best_ldsha = 1e9, best_z = 1e9, best_sha = 1e9, best_raw = 1e9;
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	if (d == NULL)
		return 1;
	for (int run = 0; run < 3; run++) {
		gunzip_result r;
		gunzip_options o;
		gunzip_options_init(&o);
		double t0 = now();
		if (gunzip_buffer(z, zlen, &o, &r, NULL) != LT_OK || r.len != tlen ||
		    memcmp(r.data, text, tlen) != 0) {
			fprintf(stderr, "bench_gunzip: libdeflate round trip failed\n");
			return 1;
		}
		double t1 = now();
		gunzip_result_free(&r);
		o.want_sha256 = true;
		double t2 = now();
		if (gunzip_buffer(z, zlen, &o, &r, NULL) != LT_OK) {
			fprintf(stderr, "bench_gunzip: libdeflate+sha failed\n");
			return 1;
		}
		double t3 = now();
		gunzip_result_free(&r);
		double t4 = now();
		size_t n = zlib_inflate_all(z, zlen, out, tlen);
		double t5 = now();
		if (n != tlen || memcmp(out, text, tlen) != 0) {
			fprintf(stderr, "bench_gunzip: zlib round trip failed\n");
			return 1;
		}
		char hex[SHA256_HEX_LEN + 1];
		double t6 = now();
		if (sha256_hex(text, tlen, hex) != LT_OK)
			return 1;
		double t7 = now();
		double ta = now();
		if (gunzip_buffer_reuse(z, zlen, NULL, &reused, NULL) != LT_OK || reused.len != tlen)
			return 1;
		double tb = now();
		if (run > 0)
			best_reuse = tb - ta < best_reuse ? tb - ta : best_reuse;
		size_t got = 0;
		double t8 = now();
		if (libdeflate_gzip_decompress(d, z, zlen, out, tlen, &got) != LIBDEFLATE_SUCCESS ||
		    got != tlen)
			return 1;
		double t9 = now();
		best_raw = t9 - t8 < best_raw ? t9 - t8 : best_raw;
		best_ld = t1 - t0 < best_ld ? t1 - t0 : best_ld;
		best_ldsha = t3 - t2 < best_ldsha ? t3 - t2 : best_ldsha;
		best_z = t5 - t4 < best_z ? t5 - t4 : best_z;
		best_sha = t7 - t6 < best_sha ? t7 - t6 : best_sha;
	}
	double m = (double)tlen / 1e6;
	printf("libdeflate (gunzip_buffer):        %8.1f MB/s of output\n", m / best_ld);
	printf("libdeflate (gunzip_buffer_reuse):  %8.1f MB/s of output\n", m / best_reuse);
	printf("libdeflate raw, buffer reused:     %8.1f MB/s of output\n", m / best_raw);
	printf("libdeflate + SHA-256 of output:    %8.1f MB/s of output\n", m / best_ldsha);
	printf("zlib inflate (streaming):          %8.1f MB/s of output\n", m / best_z);
	printf("SHA-256 alone (OpenSSL EVP):       %8.1f MB/s\n", m / best_sha);
	printf("libdeflate / zlib speed-up:        %8.2fx (same reused buffer: %.2fx)\n",
		best_z / best_ld, best_z / best_raw);
	libdeflate_free_decompressor(d);
	gunzip_result_free(&reused);
	free(out);
	free(z);
	free(text);
	return 0;
}
