/*
 * sigma_prompt.h — the prompt classifier's scores as derived Sigma fields.
 *
 * Contract: names the derived fields (llmtrail.score.{jailbreak,injection,
 * extraction}, llmtrail.why.<class> — the n-grams that raised the score —,
 * llmtrail.similar_template, llmtrail.similar_template.score,
 * llmtrail.prompt.normalised, and the response-side evidence
 * llmtrail.response.system_overlap and llmtrail.response.refusal), finds and loads the model for a rule set
 * (LLMTRAIL_PROMPT_MODEL, else <rules dir>/prompt-model/prompt-model.bin; a
 * missing or bad model is logged once and its fields then have no value, so
 * every other rule still runs), and computes an event's values lazily: the
 * prompt is scored at most once per event, and only when a rule asks.
 */
#ifndef LLMTRAIL_ANALYZERS_SIGMA_PROMPT_H
#define LLMTRAIL_ANALYZERS_SIGMA_PROMPT_H

#include "analyzers/prompt/prompt_model.h"
#include "analyzers/sigma/sigma_value.h"
#include "common/arena.h"
#include "ingest/event.h"
#include "ingest/sha256.h"

#include <stdbool.h>

/* Field kinds, 0 = not a prompt-classifier field. */
enum {
	SPROMPT_NONE = 0,
	SPROMPT_SCORE0 = 1,      /* + class index */
	SPROMPT_WHY0 = 5,        /* + class index */
	SPROMPT_SIMILAR = 9,
	SPROMPT_SIMILARITY = 10,
	SPROMPT_NORMALISED = 11,
	SPROMPT_LEAK = 12,   /* share of the system prompt's 8-word runs found in the response */
	SPROMPT_REFUSAL = 13 /* 1 when the response reads as a refusal, 0 when it does not */
};

/* The kind of field name (class names as the shipped model has them). */
int sprompt_field_kind(const char *name);

/* Load the model for rules loaded from rules_dir (may be NULL); NULL when
 * there is none or it is unusable (logged). */
pmodel *sprompt_load(const char *rules_dir);

typedef struct sprompt_cache sprompt_cache;

typedef struct sprompt_ctx {
	pmodel_scorer *scorer;
	sprompt_cache *cache; /* recent prompts' scores, by SHA-256 of the prompt */
	uint32_t epoch;       /* of the event last scored; valid when scored */
	bool scored, ok;
	bool scorer_current; /* the scorer's state (why, template, text) is this event's */
	pmodel_result res;
	unsigned char key[SHA256_LEN]; /* the prompt's cache key (SHA-256), when keyed */
	bool keyed;
	bool sim_known;        /* sim_fam and sim hold this event's template look-up */
	const char *sim_fam;
	double sim;
} sprompt_ctx;

void sprompt_ctx_free(sprompt_ctx *c);

/* The value of field kind `kind` for the event, into out (text in arena a).
 * False when there is no value (no model, no prompt / response, no class). */
bool sprompt_value(sprompt_ctx *c, const pmodel *m, uint32_t epoch, const event *ev, int kind,
                   arena *a, sigma_fval *out);

/* Share (0..1) of the 8-word runs of sys that occur verbatim in resp (after
 * normalisation to lower-case words); 0 when sys has fewer than 8 words. */
double sprompt_overlap(const char *sys, size_t sn, const char *resp, size_t rn);
/* Whether a response opens as a refusal ("I can't help with that", ...). */
bool sprompt_refusal(const char *resp, size_t rn);

#endif
