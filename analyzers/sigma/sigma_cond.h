/*
 * sigma_cond.h — the Sigma condition language: parse once, evaluate per event.
 *
 * Grammar (Sigma rules specification 2.x, "Condition"), least to most binding:
 *   expr    := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | primary
 *   primary := '(' expr ')' | ('1'|'all') 'of' ('them' | PATTERN) | IDENTIFIER
 * Keywords are case-insensitive; identifiers are exact. PATTERN may hold '*'
 * wildcards; `them` covers every search identifier not starting with '_'.
 * A condition list is OR-ed by the caller (sigma_cond_or).
 *
 * Ownership: nodes live in the arena given to sigma_cond_parse.
 * Errors: LT_EITEM with a message naming the column; *unsupported is set when
 * the text is valid older Sigma we do not evaluate (aggregations after '|',
 * 'near').
 */
#ifndef LLMTRAIL_ANALYZERS_SIGMA_COND_H
#define LLMTRAIL_ANALYZERS_SIGMA_COND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"

#define SIGMA_COND_MAX_DEPTH 64
#define SIGMA_COND_MAX_LEN 65536

typedef enum sigma_cond_op {
	SIGMA_C_SEL = 0, /* one search identifier */
	SIGMA_C_AND,
	SIGMA_C_OR,
	SIGMA_C_NOT,
	SIGMA_C_ONE_OF, /* kids are SEL nodes: any of them */
	SIGMA_C_ALL_OF  /* kids are SEL nodes: all of them */
} sigma_cond_op;

typedef struct sigma_cond sigma_cond;
struct sigma_cond {
	sigma_cond_op op;
	uint32_t sel; /* SEL: index into the identifier list */
	size_t n;     /* number of kids */
	sigma_cond **kids;
};

lt_status sigma_cond_parse(arena *a, const char *text, const char *const *names, size_t nnames,
                           sigma_cond **out, bool *unsupported, lt_error *err) LT_WUR;

/* OR of two conditions (either may be NULL: the other is returned). */
sigma_cond *sigma_cond_or(arena *a, sigma_cond *x, sigma_cond *y);

/* Evaluates with sel(ctx, index) deciding each identifier; short-circuits. */
typedef bool (*sigma_cond_sel_fn)(void *ctx, uint32_t sel);
bool sigma_cond_eval(const sigma_cond *c, sigma_cond_sel_fn sel, void *ctx);

/* Writes the tree in fully parenthesised prefix form (for tests): "(and a (not b))". */
size_t sigma_cond_format(const sigma_cond *c, const char *const *names, char *out, size_t n);

#endif
