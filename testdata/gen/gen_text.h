/*
 * gen_text.h — prompts and answers for the simulated Bedrock traffic.
 *
 * What: fills a conversation (system prompt, user prompt, optional tool
 * result, model answer) from templates with many slots: support tickets,
 * summaries, code review, SQL help, translation, product copy, log triage,
 * policy questions. A small share are near-misses that detection rules must
 * NOT flag (AWS's documented example key, an invalid card number, "ignore the
 * typo"). The attack texts (prompt injection, jailbreak, role-play resale,
 * secrets leaking in answers) are separate functions used only by the
 * injected incidents.
 * Ownership: a gen_convo owns its builders; gen_convo_free releases them.
 */
#ifndef LLMTRAIL_GEN_TEXT_H
#define LLMTRAIL_GEN_TEXT_H

#include "testdata/gen/gen_ct.h"
#include "testdata/gen/gen_util.h"

typedef struct gen_convo {
	gen_sb system;
	gen_sb user;
	gen_sb tool_result; /* text returned by a tool, sent back to the model */
	gen_sb answer;
	const char *tool_name; /* non-NULL when the model called a tool */
	gen_sb tool_input;     /* JSON object given to the tool */
	int near_miss;         /* 1 when the text is a deliberate near-miss */
} gen_convo;

void gen_convo_init(gen_convo *c);
void gen_convo_free(gen_convo *c);
void gen_convo_reset(gen_convo *c);

/* Everyday traffic of an application (near-misses at a low rate). */
void gen_text_benign(gen_rng *r, gen_app app, gen_convo *c);
/* A document of at least min_bytes to summarise (bodies over 100 KB go to S3). */
void gen_text_large_doc(gen_rng *r, gen_convo *c, size_t min_bytes);

/* Injected incidents. */
enum { GEN_INJ_IGNORE, GEN_INJ_SYSPROMPT_LEAK, GEN_INJ_INDIRECT, GEN_INJ_DAN, GEN_INJ_DISCOUNT, GEN_INJ_COUNT };
void gen_text_injection(gen_rng *r, int variant, gen_convo *c);
void gen_text_roleplay(gen_rng *r, gen_convo *c);
enum { GEN_LEAK_AWS, GEN_LEAK_GITHUB, GEN_LEAK_PEM, GEN_LEAK_CARD, GEN_LEAK_COUNT };
/* secret receives the leaked value (for the ground truth), cap >= 128. */
void gen_text_secret_leak(gen_rng *r, int variant, gen_convo *c, char *secret, size_t cap);

/* Well-formed fakes. */
void gen_fake_card(gen_rng *r, char out[20]);
int gen_luhn_ok(const char *digits);

#endif
