/*
 * budget.h — a count of bytes shared by the threads of one run, against a cap.
 *
 * The run's decompressed-bytes budget (index --max-total-bytes): the walker
 * charges the bytes it reads out of archives and compressed streams, the
 * indexer the bytes it inflates from gzip members; once the cap is reached
 * every later member that needs more is refused with a problem that names the
 * cap, and the rest of the run goes on. Charges are atomic; two threads may
 * pass the cap together by at most what each was charging (a member).
 *
 * Ownership: the caller owns the lt_budget (a plain struct, no allocation).
 */
#ifndef LLMTRAIL_COMMON_BUDGET_H
#define LLMTRAIL_COMMON_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#define LT_BUDGET_DEFAULT ((uint64_t)256 << 30) /* 256 GiB decompressed per run */

typedef struct lt_budget {
	uint64_t max;  /* 0 = no cap */
	uint64_t used; /* only through lt_budget_* (atomic) */
} lt_budget;

void lt_budget_init(lt_budget *b, uint64_t max);

/* Adds n to the count; false when the count is then past the cap (the bytes
 * are counted all the same). b NULL: always true. */
bool lt_budget_charge(lt_budget *b, uint64_t n);

/* Bytes left before the cap (UINT64_MAX when there is no cap or b is NULL). */
uint64_t lt_budget_left(lt_budget *b);

/* The cap, for messages (0 = none). */
uint64_t lt_budget_max(const lt_budget *b);

#endif
