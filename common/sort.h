/*
 * sort.h — qsort that accepts an empty array. qsort(NULL, 0, ...) is undefined
 * behaviour (UBSan reports it), and empty inputs are normal here: a case with
 * no digests, a series with no latency. Every sort in llmtrail goes through this.
 */
#ifndef LLMTRAIL_COMMON_SORT_H
#define LLMTRAIL_COMMON_SORT_H

#include <stddef.h>
#include <stdlib.h>

static inline void lt_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

#endif
