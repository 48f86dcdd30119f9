/*
 * gen_util.h — small pieces of the corpus generator llmtrail-gen.
 *
 * What: a seeded PRNG (xoshiro256** seeded by splitmix64), a growable string
 * builder with JSON escaping, UTC time formatting, identifiers, deterministic
 * gzip (libdeflate: mtime 0, fixed header), SHA-256/MD5 hex, mkdir -p and
 * file writing.
 * Ownership: gen_sb owns its data (gen_sb_free releases it). Everything else
 * works on caller memory.
 * Failure: the generator is a test tool, not a product path: out of memory and
 * I/O errors print a message naming the file and exit(2) (gen_die).
 * Nothing here reads the wall clock: output depends only on the seed.
 */
#ifndef LLMTRAIL_GEN_UTIL_H
#define LLMTRAIL_GEN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define GEN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define GEN_NORETURN __attribute__((noreturn))
#else
#define GEN_PRINTF(f, a)
#define GEN_NORETURN
#endif

/* ---- PRNG ---- */
typedef struct gen_rng {
	uint64_t s[4];
} gen_rng;

/* Seeds from (seed, stream): distinct streams are independent sequences. */
void gen_rng_seed(gen_rng *r, uint64_t seed, uint64_t stream);
uint64_t gen_rng_next(gen_rng *r);
/* Uniform in [0, n); n = 0 gives 0. */
uint32_t gen_rng_below(gen_rng *r, uint32_t n);
/* Uniform in [lo, hi] inclusive. */
int gen_rng_range(gen_rng *r, int lo, int hi);
/* Uniform in [0, 1). */
double gen_rng_unit(gen_rng *r);
/* 1 with probability p. */
int gen_rng_chance(gen_rng *r, double p);
/* An element of a NULL-free array of n strings. */
const char *gen_rng_pick(gen_rng *r, const char *const *v, size_t n);
#define GEN_PICK(r, arr) gen_rng_pick((r), (arr), sizeof(arr) / sizeof((arr)[0]))
/* Index chosen with the given non-negative weights (n > 0). */
size_t gen_rng_weighted(gen_rng *r, const double *w, size_t n);

/* ---- string builder ---- */
typedef struct gen_sb {
	char *data;
	size_t len;
	size_t alloc;
} gen_sb;

void gen_sb_init(gen_sb *b);
void gen_sb_free(gen_sb *b);
void gen_sb_reset(gen_sb *b);
void gen_sb_reserve(gen_sb *b, size_t extra);
void gen_sb_putn(gen_sb *b, const char *s, size_t n);
void gen_sb_put(gen_sb *b, const char *s);
void gen_sb_putc(gen_sb *b, char c);
void gen_sb_printf(gen_sb *b, const char *fmt, ...) GEN_PRINTF(2, 3);
void gen_sb_u64(gen_sb *b, uint64_t v);
/* "text" as a quoted JSON string (RFC 8259 escaping). */
void gen_sb_jstr(gen_sb *b, const char *s);
void gen_sb_jstrn(gen_sb *b, const char *s, size_t n);
/* "key": */
void gen_sb_key(gen_sb *b, const char *key);
/* Always NUL-terminated. */
const char *gen_sb_cstr(gen_sb *b);

/* ---- time (UTC, seconds since the epoch) ---- */
/* 2026-03-09T10:15:02Z */
void gen_time_iso(int64_t t, char out[32]);
/* 2026-03-09T10:15:02.123Z */
void gen_time_iso_ms(int64_t t, int ms, char out[32]);
/* strftime-like with %Y %m %d %H %M %S only. */
void gen_time_fmt(int64_t t, const char *fmt, char *out, size_t cap);
/* Seconds since the epoch for a civil UTC date. */
int64_t gen_time_make(int y, int mo, int d, int h, int mi, int s);
/* 0 = Monday ... 6 = Sunday */
int gen_time_weekday(int64_t t);
/* Hour of day 0..23 */
int gen_time_hour(int64_t t);

/* ---- identifiers ---- */
void gen_uuid(gen_rng *r, char out[37]);
/* n lowercase hex digits. */
void gen_hex(gen_rng *r, char *out, size_t n);
/* n chars from the given alphabet. */
void gen_chars(gen_rng *r, const char *alphabet, char *out, size_t n);

/* ---- hashing and compression ---- */
void gen_sha256_hex(const void *data, size_t n, char out[65]);
void gen_md5_hex(const void *data, size_t n, char out[33]);
void gen_hex_encode(const unsigned char *in, size_t n, char *out);

typedef struct gen_gz gen_gz;
gen_gz *gen_gz_new(int level);
void gen_gz_free(gen_gz *z);
/* Compresses data (gzip, mtime 0) into out (reset first). */
void gen_gz_compress(gen_gz *z, const void *data, size_t n, gen_sb *out);

/* ---- files ---- */
GEN_NORETURN void gen_die(const char *fmt, ...) GEN_PRINTF(1, 2);
void *gen_xmalloc(size_t n);
void *gen_xrealloc(void *p, size_t n);
/* Creates every directory of path's parent (mkdir -p dirname). */
void gen_mkdirs_for(const char *path);
void gen_write_file(const char *path, const void *data, size_t n);

#endif
