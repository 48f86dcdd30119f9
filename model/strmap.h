/*
 * strmap.h — a small counting hash map from byte strings to uint64_t, for the
 * report model (aggregation keys, principal / IP tallies, the event→rules
 * index). Keys are binary-safe (pointer + length) and copied into the map.
 *
 * Ownership: the caller owns the map (strmap_free; NULL is a no-op); keys
 * read back through strmap_entry live as long as the map.
 *
 * Bound: a map made with cap > 0 never holds more than cap keys; inserting
 * past it fails (strmap_slot returns NULL and *full is set) so the caller can
 * count the overflow instead of growing without limit.
 */
#ifndef LLMTRAIL_REPORTS_STRMAP_H
#define LLMTRAIL_REPORTS_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct strmap strmap;

/* cap: most keys (0 = unlimited). NULL out of memory. */
strmap *strmap_new(size_t cap) LT_WUR;
void strmap_free(strmap *m);

/* The value slot for key, inserting it with value 0 when absent and create is
 * true. NULL when absent and not created: create false, the cap reached (*full
 * set to true when full is not NULL) or out of memory. */
uint64_t *strmap_slot(strmap *m, const void *key, size_t n, bool create, bool *full);
const uint64_t *strmap_find(const strmap *m, const void *key, size_t n);

size_t strmap_count(const strmap *m);
/* Entries in insertion order: i in [0, strmap_count). */
void strmap_entry(const strmap *m, size_t i, const char **key, size_t *n, uint64_t *value);

/* FNV-1a, exposed for tests. */
uint64_t strmap_hash(const void *key, size_t n);

#endif
