/*
 * gen_util.c — PRNG, string builder, time, ids, gzip, hashing, files.
 *
 * Design note: determinism is the point. The PRNG is xoshiro256** (Blackman &
 * Vigna, https://prng.di.unimi.it/) seeded through splitmix64 from a 64-bit
 * seed and a stream number, so that each (account, region) stream has its own
 * sequence and streams can run on any thread in any order. Times are formatted
 * with our own civil-date arithmetic (no TZ, no locale). gzip comes from
 * libdeflate, whose header carries mtime 0 and a fixed OS byte, so the same
 * input always gives the same bytes. The string builder grows by doubling and
 * aborts on out-of-memory: the generator is a test tool with nothing to save.
 */
#include "config.h"

#include "testdata/gen/gen_util.h"

#include <errno.h>
#include <libdeflate.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

/* ---------------------------------------------------------------- PRNG */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void gen_rng_seed(gen_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t gen_rng_next(gen_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint32_t gen_rng_below(gen_rng *r, uint32_t n)
{
	if (n == 0)
		return 0;
	return (uint32_t)(((gen_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

int gen_rng_range(gen_rng *r, int lo, int hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int)gen_rng_below(r, (uint32_t)(hi - lo + 1));
}

double gen_rng_unit(gen_rng *r)
{
	return (double)(gen_rng_next(r) >> 11) * 0x1.0p-53;
}

int gen_rng_chance(gen_rng *r, double p)
{
	return gen_rng_unit(r) < p;
}

const char *gen_rng_pick(gen_rng *r, const char *const *v, size_t n)
{
	return v[gen_rng_below(r, (uint32_t)n)];
}

size_t gen_rng_weighted(gen_rng *r, const double *w, size_t n)
{
	double total = 0;
	for (size_t i = 0; i < n; i++)
		total += w[i];
	double x = gen_rng_unit(r) * total;
	for (size_t i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* ------------------------------------------------------- string builder */

void gen_sb_init(gen_sb *b)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void gen_sb_free(gen_sb *b)
{
	free(b->data);
	gen_sb_init(b);
}

void gen_sb_reset(gen_sb *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void gen_sb_reserve(gen_sb *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->alloc)
		return;
	size_t n = b->alloc ? b->alloc : 256;
	while (n < need)
		n *= 2;
	b->data = gen_xrealloc(b->data, n);
	b->alloc = n;
}

void gen_sb_putn(gen_sb *b, const char *s, size_t n)
{
	gen_sb_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void gen_sb_put(gen_sb *b, const char *s)
{
	gen_sb_putn(b, s, strlen(s));
}

void gen_sb_putc(gen_sb *b, char c)
{
	gen_sb_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void gen_sb_printf(gen_sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		gen_die("gen_sb_printf: bad format");
	if ((size_t)n < sizeof small) {
		gen_sb_putn(b, small, (size_t)n);
		return;
	}
	gen_sb_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void gen_sb_u64(gen_sb *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	gen_sb_putn(b, tmp + i, sizeof tmp - i);
}

void gen_sb_jstrn(gen_sb *b, const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	gen_sb_reserve(b, n + 2);
	gen_sb_putc(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		gen_sb_putn(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': gen_sb_putn(b, "\\\"", 2); break;
		case '\\': gen_sb_putn(b, "\\\\", 2); break;
		case '\n': gen_sb_putn(b, "\\n", 2); break;
		case '\r': gen_sb_putn(b, "\\r", 2); break;
		case '\t': gen_sb_putn(b, "\\t", 2); break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15]};
			gen_sb_putn(b, u, 6);
		}
		}
	}
	gen_sb_putn(b, s + run, n - run);
	gen_sb_putc(b, '"');
}

void gen_sb_jstr(gen_sb *b, const char *s)
{
	gen_sb_jstrn(b, s, strlen(s));
}

void gen_sb_key(gen_sb *b, const char *key)
{
	gen_sb_putc(b, '"');
	gen_sb_put(b, key);
	gen_sb_putn(b, "\":", 2);
}

const char *gen_sb_cstr(gen_sb *b)
{
	if (!b->data)
		gen_sb_reserve(b, 0);
	b->data[b->len] = '\0';
	return b->data;
}

/* ----------------------------------------------------------------- time */

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

typedef struct civil {
	int y, mo, d, h, mi, s;
} civil;

static civil civil_of(int64_t t)
{
	civil c;
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t sec = t - days * 86400;
	civil_from_days(days, &c.y, &c.mo, &c.d);
	c.h = (int)(sec / 3600);
	c.mi = (int)(sec / 60 % 60);
	c.s = (int)(sec % 60);
	return c;
}

int64_t gen_time_make(int y, int mo, int d, int h, int mi, int s)
{
	return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

int gen_time_weekday(int64_t t)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	/* 1970-01-01 was a Thursday (3 with Monday = 0). */
	return (int)(((days % 7) + 7 + 3) % 7);
}

int gen_time_hour(int64_t t)
{
	return civil_of(t).h;
}

static void put2(char *o, int v)
{
	o[0] = (char)('0' + v / 10 % 10);
	o[1] = (char)('0' + v % 10);
}

void gen_time_fmt(int64_t t, const char *fmt, char *out, size_t cap)
{
	civil c = civil_of(t);
	size_t o = 0;
	for (const char *p = fmt; *p && o + 5 < cap; p++) {
		if (*p != '%' || !p[1]) {
			out[o++] = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'Y':
			put2(out + o, c.y / 100);
			put2(out + o + 2, c.y % 100);
			o += 4;
			break;
		case 'm': put2(out + o, c.mo); o += 2; break;
		case 'd': put2(out + o, c.d); o += 2; break;
		case 'H': put2(out + o, c.h); o += 2; break;
		case 'M': put2(out + o, c.mi); o += 2; break;
		case 'S': put2(out + o, c.s); o += 2; break;
		default: out[o++] = *p; break;
		}
	}
	out[o] = '\0';
}

void gen_time_iso(int64_t t, char out[32])
{
	gen_time_fmt(t, "%Y-%m-%dT%H:%M:%SZ", out, 32);
}

void gen_time_iso_ms(int64_t t, int ms, char out[32])
{
	gen_time_fmt(t, "%Y-%m-%dT%H:%M:%S", out, 32);
	size_t n = strlen(out);
	out[n] = '.';
	out[n + 1] = (char)('0' + ms / 100 % 10);
	out[n + 2] = (char)('0' + ms / 10 % 10);
	out[n + 3] = (char)('0' + ms % 10);
	out[n + 4] = 'Z';
	out[n + 5] = '\0';
}

/* ---------------------------------------------------------- identifiers */

void gen_hex(gen_rng *r, char *out, size_t n)
{
	gen_chars(r, "0123456789abcdef", out, n);
}

void gen_chars(gen_rng *r, const char *alphabet, char *out, size_t n)
{
	uint32_t k = (uint32_t)strlen(alphabet);
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[gen_rng_below(r, k)];
	out[n] = '\0';
}

void gen_uuid(gen_rng *r, char out[37])
{
	char h[33];
	gen_hex(r, h, 32);
	h[12] = '4';
	h[16] = "89ab"[gen_rng_below(r, 4)];
	memcpy(out, h, 8);
	out[8] = '-';
	memcpy(out + 9, h + 8, 4);
	out[13] = '-';
	memcpy(out + 14, h + 12, 4);
	out[18] = '-';
	memcpy(out + 19, h + 16, 4);
	out[23] = '-';
	memcpy(out + 24, h + 20, 12);
	out[36] = '\0';
}

/* ------------------------------------------------- hashing, compression */

void gen_hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hexd[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexd[in[i] >> 4];
		out[2 * i + 1] = hexd[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static void digest_hex(const EVP_MD *md, const void *data, size_t n, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	if (!EVP_Digest(data, n, d, &dl, md, NULL))
		gen_die("EVP_Digest failed");
	gen_hex_encode(d, dl, out);
}

void gen_sha256_hex(const void *data, size_t n, char out[65])
{
	digest_hex(EVP_sha256(), data, n, out);
}

void gen_md5_hex(const void *data, size_t n, char out[33])
{
	digest_hex(EVP_md5(), data, n, out);
}

struct gen_gz {
	struct libdeflate_compressor *c;
};

gen_gz *gen_gz_new(int level)
{
	gen_gz *z = gen_xmalloc(sizeof *z);
	z->c = libdeflate_alloc_compressor(level);
	if (!z->c)
		gen_die("libdeflate_alloc_compressor failed");
	return z;
}

void gen_gz_free(gen_gz *z)
{
	if (!z)
		return;
	libdeflate_free_compressor(z->c);
	free(z);
}

void gen_gz_compress(gen_gz *z, const void *data, size_t n, gen_sb *out)
{
	size_t bound = libdeflate_gzip_compress_bound(z->c, n);
	gen_sb_reset(out);
	gen_sb_reserve(out, bound);
	size_t got = libdeflate_gzip_compress(z->c, data, n, out->data, bound);
	if (got == 0)
		gen_die("gzip compression failed");
	out->len = got;
}

/* ---------------------------------------------------------------- files */

void gen_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("llmtrail-gen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

void *gen_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		gen_die("out of memory (%zu bytes)", n);
	return p;
}

void *gen_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		gen_die("out of memory (%zu bytes)", n);
	return q;
}

void gen_mkdirs_for(const char *path)
{
	size_t n = strlen(path);
	char *tmp = gen_xmalloc(n + 1);
	memcpy(tmp, path, n + 1);
	char *slash = strrchr(tmp, '/');
	if (slash) {
		*slash = '\0';
		for (char *p = tmp + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
				gen_die("%s: cannot create directory: %s", tmp, strerror(errno));
			*p = '/';
		}
		if (*tmp && mkdir(tmp, 0777) != 0 && errno != EEXIST)
			gen_die("%s: cannot create directory: %s", tmp, strerror(errno));
	}
	free(tmp);
}

void gen_write_file(const char *path, const void *data, size_t n)
{
	gen_mkdirs_for(path);
	FILE *f = fopen(path, "wb");
	if (!f)
		gen_die("%s: cannot create: %s", path, strerror(errno));
	if (n && fwrite(data, 1, n, f) != n)
		gen_die("%s: write failed: %s", path, strerror(errno));
	if (fclose(f) != 0)
		gen_die("%s: close failed: %s", path, strerror(errno));
}
