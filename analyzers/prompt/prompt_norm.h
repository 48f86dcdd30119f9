/*
 * prompt_norm.h — normalise prompt text before it is scored or matched.
 *
 * Contract: pnorm_run turns attacker-written text into a canonical form that
 * cheap obfuscation does not change: compatibility forms folded (fullwidth,
 * mathematical alphanumerics, circled/squared letters), letters lower-cased,
 * look-alike Cyrillic/Greek letters folded inside Latin words, leetspeak folded
 * inside words, zero-width / bidi / variation-selector characters removed,
 * Unicode tag characters decoded (ASCII smuggling), spaced-out letters joined
 * ("i g n o r e" -> "ignore"), markdown and code-fence decoration replaced by
 * spaces, and base64 / hex / rot13 segments decoded and appended after the
 * text. What was folded or removed is kept as flags (features for the model).
 * Input is any bytes (invalid UTF-8 passes through byte by byte); the output
 * is NUL-terminated, bounded by PNORM_MAX_IN input bytes (the rest is ignored
 * and PNORM_TRUNCATED set).
 */
#ifndef LLMTRAIL_ANALYZERS_PROMPT_NORM_H
#define LLMTRAIL_ANALYZERS_PROMPT_NORM_H

#include "common/error.h"

#include <stddef.h>

#define PNORM_MAX_IN (1u << 20) /* input bytes normalised; the rest is ignored */

enum {
	PNORM_ZERO_WIDTH = 1u << 0, /* zero-width, bidi or variation selectors removed */
	PNORM_TAGS = 1u << 1,       /* Unicode tag characters decoded */
	PNORM_COMPAT = 1u << 2,     /* fullwidth / math / enclosed letters folded */
	PNORM_HOMOGLYPH = 1u << 3,  /* Cyrillic/Greek look-alikes inside Latin words */
	PNORM_LEET = 1u << 4,       /* digits/symbols inside words read as letters */
	PNORM_SPACED = 1u << 5,     /* spaced-out letters joined */
	PNORM_BASE64 = 1u << 6,     /* a base64 segment decoded */
	PNORM_HEX = 1u << 7,        /* a hex segment decoded */
	PNORM_ROT13 = 1u << 8,      /* the text read better in rot13 */
	PNORM_MARKUP = 1u << 9,     /* markdown / code fences stripped */
	PNORM_TRUNCATED = 1u << 10, /* input longer than PNORM_MAX_IN */
	PNORM_NFLAGS = 11
};

typedef struct pnorm {
	char *out; /* normalised text, NUL-terminated */
	size_t len, cap;
	unsigned flags;
	char *tmp, *fold, *tags; /* scratch, kept between calls */
	size_t tmp_cap, fold_cap, tags_cap;
} pnorm;

/* Normalise s[0..n). Reuses n's buffers; LT_EFATAL only when out of memory. */
lt_status pnorm_run(pnorm *n, const char *s, size_t len, lt_error *err) LT_WUR;
void pnorm_free(pnorm *n);

/* The name of flag bit i (0 <= i < PNORM_NFLAGS), e.g. "zero_width". */
const char *pnorm_flag_name(unsigned i);

#endif
