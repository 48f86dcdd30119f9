/*
 * gen_inv.h — Bedrock model-invocation log records (schemaType ModelInvocationLog).
 *
 * What: renders one record (one JSON line) with the body shape of its
 * operation and model family: Converse/ConverseStream, Anthropic Messages,
 * Titan, Llama, Mistral, Cohere Command R, AI21 Jamba; streamed responses as
 * arrays of chunks with amazon-bedrock-invocationMetrics in the last one;
 * guardrail interventions; errors; bodies moved to S3 (inputBodyS3Path /
 * outputBodyS3Path) when large.
 * Ownership: the record is appended to the caller's gen_sb; inputs borrowed.
 */
#ifndef LLMTRAIL_GEN_INV_H
#define LLMTRAIL_GEN_INV_H

#include <stdint.h>

#include "testdata/gen/gen_ct.h"
#include "testdata/gen/gen_text.h"
#include "testdata/gen/gen_util.h"

typedef enum gen_family {
	GEN_FAM_CONVERSE,
	GEN_FAM_ANTHROPIC,
	GEN_FAM_TITAN,
	GEN_FAM_LLAMA,
	GEN_FAM_MISTRAL,
	GEN_FAM_COHERE,
	GEN_FAM_AI21
} gen_family;

typedef enum gen_guard {
	GEN_GUARD_NONE,      /* no guardrail on the request */
	GEN_GUARD_PASS,      /* guardrail evaluated, no action */
	GEN_GUARD_INPUT,     /* prompt blocked (PROMPT_ATTACK); model not called */
	GEN_GUARD_OUTPUT     /* answer blocked (sensitive information); answer kept in trace */
} gen_guard;

typedef struct gen_inv {
	int64_t t;
	int ms;
	const gen_account *acct;
	const char *region;
	const char *identity_arn;
	char request_id[40];
	const char *operation;  /* Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream */
	const char *model_id;
	gen_family fam;         /* body shape of InvokeModel*; ignored for Converse* */
	const gen_convo *c;
	const char *err_code;   /* non-NULL: failed call, no output */
	gen_guard guard;
	int key_order;          /* 0..2: the order of top-level keys */
	char input_s3[640];     /* non-empty: body delivered to this S3 URI */
	char output_s3[640];
	int latency_ms;
	int in_tokens, out_tokens;
} gen_inv;

/* Chooses operation, family and model for an application's call. */
void gen_inv_choose(gen_rng *r, gen_app app, const gen_account *a, const char *region, gen_inv *e);
/* Token counts and latency from the conversation. */
void gen_inv_measure(gen_rng *r, gen_inv *e);

void gen_inv_input_body(gen_sb *out, const gen_inv *e);
void gen_inv_output_body(gen_sb *out, gen_rng *r, const gen_inv *e);
/* The record, without trailing newline. */
void gen_inv_write(gen_sb *out, gen_rng *r, const gen_inv *e);

#endif
