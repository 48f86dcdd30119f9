/*
 * grow.h — room for one more element in a growable array (the realloc,
 * doubling and first size written once).
 *
 * lt_grow(v, &alloc, n, sizeof *v, first) returns v when n < alloc, else v
 * reallocated to twice alloc elements (first when alloc is 0) with alloc
 * updated; NULL out of memory or on overflow (v is then still valid and alloc
 * unchanged). Typical use:
 *     T *nv = lt_grow(a->v, &a->alloc, a->n, sizeof *nv, 64);
 *     if (nv == NULL) return out_of_memory;
 *     a->v = nv;
 */
#ifndef LLMTRAIL_COMMON_GROW_H
#define LLMTRAIL_COMMON_GROW_H

#include <stdint.h>
#include <stdlib.h>

static inline void *lt_grow(void *v, size_t *alloc, size_t n, size_t size, size_t first)
{
	if (n < *alloc)
		return v;
	size_t na = *alloc ? *alloc * 2 : first;
	if (na <= *alloc || na > SIZE_MAX / size)
		return NULL;
	void *nv = realloc(v, na * size);
	if (nv != NULL)
		*alloc = na;
	return nv;
}

#endif
