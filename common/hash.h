/*
 * hash.h — FNV-1a, the one non-cryptographic hash of llmtrail: hash-table
 * slots (strmap, the Sigma field cache, first_seen sets, correlation
 * groups, the writer's string cache), stable ids (finding and incident ids)
 * and the prompt model's hashed features. Issue 15 found six copies of the
 * loop; this is the one left. (Evidence digests are SHA-256, ingest/sha256.h.)
 *
 * lt_fnv64_add folds bytes into a running hash h, so a caller can hash
 * several fields (or a separator) into one value; start from LT_FNV64_BASIS.
 * LT_FNV64_SEED_SHORT is the basis with its last digit missing
 * (1469598103934665603 for 14695981039346656037), which several hash
 * tables were built with: any seed spreads as well, and keeping it keeps
 * their iteration order, hence their outputs, unchanged. New code uses
 * LT_FNV64_BASIS. The 32-bit variant is the prompt model's feature hash
 * (its trained weights are indexed by it: do not change it).
 *
 * Not for anything an attacker could exploit by collisions beyond a slower
 * table: every table that takes evidence keys also compares the keys.
 */
#ifndef LLMTRAIL_COMMON_HASH_H
#define LLMTRAIL_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

#define LT_FNV64_BASIS 0xcbf29ce484222325ULL
#define LT_FNV64_SEED_SHORT 1469598103934665603ULL
#define LT_FNV64_PRIME 0x100000001b3ULL
#define LT_FNV32_BASIS 2166136261u
#define LT_FNV32_PRIME 16777619u

static inline uint64_t lt_fnv64_byte(uint64_t h, unsigned char c)
{
	return (h ^ c) * LT_FNV64_PRIME;
}

static inline uint64_t lt_fnv64_add(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = lt_fnv64_byte(h, b[i]);
	return h;
}

/* Bytes of a NUL-terminated string, without the NUL. */
static inline uint64_t lt_fnv64_add_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = lt_fnv64_byte(h, (unsigned char)*s);
	return h;
}

static inline uint64_t lt_fnv64(const void *p, size_t n)
{
	return lt_fnv64_add(LT_FNV64_BASIS, p, n);
}

static inline uint32_t lt_fnv32_byte(uint32_t h, unsigned char c)
{
	return (h ^ c) * LT_FNV32_PRIME;
}

static inline uint32_t lt_fnv32_add(uint32_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = lt_fnv32_byte(h, b[i]);
	return h;
}

#endif
