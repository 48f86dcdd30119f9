/*
 * prompt_model.h — the prompt-attack classifier: model file, features, scores.
 *
 * Contract: a model file (rules/prompt-model/prompt-model.bin, format in
 * docs/prompt-model.md) holds a linear one-vs-rest model per class
 * (jailbreak, injection, extraction) over hashed word 1-2-grams and character
 * 3-5-grams of the normalised text (prompt_norm.h), the normaliser's flags
 * and (format 2) concept features (classes of attack words and their ordered
 * pairs, from a lexicon in several languages), Platt calibration per class, and MinHash signatures of known
 * jailbreak template families. pmodel_parse validates everything (magic,
 * version, sizes, feature spec, finite numbers, printable names, SHA-256
 * trailer) before anything is used: a bad file is one precise error, never a
 * crash. Scoring normalises the text, cuts it into overlapping windows, and
 * takes each class's maximum calibrated score over the windows (0..1).
 * A pmodel is read-only after loading (share it between threads); a
 * pmodel_scorer is per thread.
 */
#ifndef LLMTRAIL_ANALYZERS_PROMPT_MODEL_H
#define LLMTRAIL_ANALYZERS_PROMPT_MODEL_H

#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PMODEL_MAX_CLASSES 4
#define PMODEL_MAX_FILE (16u << 20)
#define PMODEL_SIG 64         /* MinHash signature length */
#define PMODEL_FAMILY_LEN 32  /* template family name, NUL-padded */
#define PMODEL_WHY_LEN 200    /* top contributing n-grams, as text */
#define PMODEL_FILE "prompt-model/prompt-model.bin" /* under a rules directory */

typedef struct pmodel pmodel;
typedef struct pmodel_scorer pmodel_scorer;

typedef struct pmodel_result {
	double score[PMODEL_MAX_CLASSES]; /* calibrated, 0..1 */
	unsigned flags;                   /* PNORM_* of the text */
} pmodel_result;

/* Load and validate a model file (at most PMODEL_MAX_FILE bytes). */
lt_status pmodel_load(pmodel **out, const char *path, lt_error *err) LT_WUR;
/* Validate and copy a model image. */
lt_status pmodel_parse(pmodel **out, const void *data, size_t n, lt_error *err) LT_WUR;
void pmodel_free(pmodel *m);

size_t pmodel_nclass(const pmodel *m);
/* The model file's SHA-256 (hex), which identifies it (what scores depend on). */
const char *pmodel_digest(const pmodel *m);
const char *pmodel_class_name(const pmodel *m, size_t c);
/* Class index of name, or -1. */
int pmodel_class_index(const pmodel *m, const char *name);

pmodel_scorer *pmodel_scorer_new(const pmodel *m);
void pmodel_scorer_free(pmodel_scorer *s);
const pmodel *pmodel_scorer_model(const pmodel_scorer *s);
/* on: score window by window, hashing every feature of every window (the
 * reference the default sliding sums must equal, for tests and tools). */
void pmodel_scorer_reference(pmodel_scorer *s, bool on);

/* Score text[0..n) for every class. */
lt_status pmodel_score(pmodel_scorer *s, const char *text, size_t n, pmodel_result *r,
                       lt_error *err) LT_WUR;
/* After pmodel_score: the n-grams that raised class c's score most in its best
 * window, as "gram" (+w), ... (valid visible UTF-8 kept, the rest escaped by the
 * rules of common/textesc.h, '"' as \x22; whole entries only), into
 * why[PMODEL_WHY_LEN]. */
void pmodel_explain(pmodel_scorer *s, size_t c, char *why);
/* After pmodel_score: the most similar template family (NULL if the model has
 * none) and its estimated Jaccard similarity (0..1). */
const char *pmodel_similar(pmodel_scorer *s, double *similarity);

/* The normalised text of the last pmodel_score (NUL-terminated). */
const char *pmodel_normalised(const pmodel_scorer *s, size_t *len);

/* Feature extraction without a model, for training (tools/prompt-feat):
 * calls window(ctx, i) at the start of each window and feat(ctx, hash) for
 * each feature in it (spec: the kinds, as in a model header, docs/prompt-model.md);
 * sig receives the text's MinHash signature. */
typedef struct pmodel_feat_cb {
	void (*window)(void *ctx, size_t i);
	void (*feat)(void *ctx, uint32_t hash);
	void *ctx;
} pmodel_feat_cb;
lt_status pmodel_features(const char *text, size_t n, size_t window, size_t step, unsigned spec,
                          const pmodel_feat_cb *cb, uint32_t sig[PMODEL_SIG],
                          lt_error *err) LT_WUR;
/* Every hash a concept feature can have (for training: which features are
 * concepts), into out[0..cap); returns how many there are (fewer written when
 * cap is smaller). */
size_t pmodel_concept_hashes(uint32_t *out, size_t cap);

#endif
