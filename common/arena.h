/*
 * arena.h — region allocator for per-item work.
 *
 * Decoding one member or evaluating one event allocates from an arena that is
 * reset afterwards: no per-node malloc/free, no leaks by construction.
 * Allocations are 16-byte aligned and live until arena_reset() or arena_free().
 *
 * Every arena has a cap on the total bytes it may hold (0 = no cap). Evidence
 * decides how much a parse allocates, so the cap is what turns a hostile input
 * into a reported error instead of an out-of-memory kill: arena_alloc returns
 * NULL when the cap would be exceeded (and when malloc fails).
 *
 * Ownership: the caller owns the arena returned by arena_new and frees it with
 * arena_free (arena_free(NULL) does nothing). Memory handed out is the arena's.
 */
#ifndef LLMTRAIL_COMMON_ARENA_H
#define LLMTRAIL_COMMON_ARENA_H

#include <stddef.h>

#include "common/error.h"

typedef struct arena arena;

/* block_size: bytes per chunk requested from malloc (0 = 64 KiB);
 * cap: most bytes the arena may hold in all (0 = unlimited). NULL if out of memory. */
arena *arena_new(size_t block_size, size_t cap) LT_WUR;
void arena_free(arena *a);

/* n bytes, 16-byte aligned, uninitialised. NULL past the cap or out of memory. */
void *arena_alloc(arena *a, size_t n) LT_WUR;
/* n bytes set to zero. */
void *arena_calloc(arena *a, size_t n) LT_WUR;
/* Copy of s[0..n) with a terminating NUL. */
char *arena_strndup(arena *a, const char *s, size_t n) LT_WUR;

/* Frees everything allocated so far but keeps the first block for reuse. */
void arena_reset(arena *a);

/* Bytes handed out since the last reset, and bytes held from malloc. */
size_t arena_used(const arena *a);
size_t arena_reserved(const arena *a);

#endif
