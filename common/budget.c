/*
 * budget.c — the run's shared byte budget (see budget.h): one counter
 * updated with the compiler's atomic builtins, so the walker and the
 * indexer's workers charge it without a lock.
 */
#include "config.h"

#include "common/budget.h"

#include <stddef.h>

void lt_budget_init(lt_budget *b, uint64_t max)
{
	b->max = max;
	b->used = 0;
}

bool lt_budget_charge(lt_budget *b, uint64_t n)
{
	if (b == NULL)
		return true;
	uint64_t now = __atomic_add_fetch(&b->used, n, __ATOMIC_RELAXED);
	return b->max == 0 || now <= b->max;
}

uint64_t lt_budget_left(lt_budget *b)
{
	if (b == NULL || b->max == 0)
		return UINT64_MAX;
	uint64_t used = __atomic_load_n(&b->used, __ATOMIC_RELAXED);
	return used >= b->max ? 0 : b->max - used;
}

uint64_t lt_budget_max(const lt_budget *b)
{
	return b != NULL ? b->max : 0;
}
