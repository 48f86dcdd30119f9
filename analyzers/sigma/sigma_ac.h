/*
 * sigma_ac.h — Aho-Corasick multi-pattern search over ASCII-lowercased bytes,
 * the literal prefilter of the Sigma engine.
 *
 * Patterns are added with an id, the automaton is built once, then any text is
 * scanned in one pass whatever the number of patterns. Matching folds ASCII
 * letters on the fly (no lowercase copy of the text is made); other bytes,
 * including NUL and UTF-8 sequences, match exactly.
 *
 * Ownership: sigma_ac_new returns an automaton the caller frees with
 * sigma_ac_free (NULL is a no-op). Patterns are copied.
 * Failure returns: LT_EFATAL when out of memory; adding after build is LT_EITEM.
 */
#ifndef LLMTRAIL_ANALYZERS_SIGMA_AC_H
#define LLMTRAIL_ANALYZERS_SIGMA_AC_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct sigma_ac sigma_ac;

sigma_ac *sigma_ac_new(void) LT_WUR;
void sigma_ac_free(sigma_ac *ac);

/* Adds pat[0..n) (n > 0) reported as id when found. */
lt_status sigma_ac_add(sigma_ac *ac, const char *pat, size_t n, uint32_t id) LT_WUR;
/* Builds the failure links; call once after the last add. */
lt_status sigma_ac_build(sigma_ac *ac) LT_WUR;
size_t sigma_ac_patterns(const sigma_ac *ac);

/* Called for every occurrence: id of the pattern and the offset just past it.
 * Return nonzero to stop the scan. */
typedef int (*sigma_ac_fn)(void *ctx, uint32_t id, size_t end);
/* Scans text; returns the nonzero value a callback stopped with, else 0. */
int sigma_ac_scan(const sigma_ac *ac, const char *text, size_t n, sigma_ac_fn fn, void *ctx);

#endif
