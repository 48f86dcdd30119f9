/*
 * bedrock.h — Bedrock model-invocation log records to events, and the
 * model-independent text fields derived from request/response bodies
 * (DESIGN.md §3 "Bedrock model-invocation logs", §4).
 *
 * bedrock_fill reads one ModelInvocationLog record and fills the header
 * fields of an event, then derives the text fields from the inline bodies
 * (input.inputBodyJson, output.outputBodyJson). Bodies stored in S3 objects
 * (inputBodyS3Path/outputBodyS3Path) are not resolved here: the event gets
 * EV_F_BODY_EXTERNAL and input_body_ref/output_body_ref, and whoever holds the
 * referenced object calls bedrock_derive again with it.
 *
 * Ownership: header slices point into the record; derived text is allocated
 * in the arena passed in. Both must outlive the event.
 *
 * Derived fields (parts joined with "\n"; stream deltas concatenated):
 *   prompt     user, tool-result and document text sent to the model
 *   system     system prompt(s) (system, preamble, role "system" messages)
 *   response   generated text: message content, completions, generations,
 *              stream deltas, reasoning text, and the guardrail-blocked
 *              answer (trace.guardrail.modelOutput)
 *   tool_calls one compact JSON object per line: {"name":..,"id":..,"input":..}
 * and from the output body: latency_ms (metrics.latencyMs, or the last stream
 * chunk's amazon-bedrock-invocationMetrics.invocationLatency),
 * guardrail_action ("INTERVENED" for stopReason guardrail_intervened, else
 * amazon-bedrock-guardrailAction), EV_F_GUARDRAIL, EV_F_STREAM.
 * Body shapes: Converse/ConverseStream (and Amazon Nova), Anthropic messages
 * and text completions, Titan, Llama, Mistral (prompt and chat), Cohere
 * (Command and Command R), AI21 (Jurassic and Jamba), OpenAI-style chat
 * (choices[]), DeepSeek, image prompts; a body that is a JSON string holding
 * JSON is parsed; a string that is not JSON is taken as the text itself.
 */
#ifndef LLMTRAIL_INGEST_BEDROCK_H
#define LLMTRAIL_INGEST_BEDROCK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "ingest/event.h"
#include "ingest/json.h"

/* Cap on each derived text field; longer text is truncated and reported. */
#define BEDROCK_MAX_TEXT (16u << 20)
/* The largest token count taken as one (per record and field); larger,
 * negative, fractional or non-numeric counts are not counted (see bedrock_fill). */
#define BEDROCK_MAX_TOKENS ((int64_t)4294967295)
#define BEDROCK_GEO_MAX 12 /* longest inference-profile geography prefix looked for ("us-gov") */

/* The model an id names, as one key for every way of naming it (a slice of
 * id, never a copy): a foundation-model ARN ("arn:aws:bedrock:R::
 * foundation-model/anthropic.claude-3-haiku-...") and a system inference
 * profile, as an ARN or an id with its geography prefix ("us.", "eu.",
 * "apac.", "us-gov.", "global.", ...: invocation logs carry the ARN,
 * CloudTrail the id) both give "anthropic.claude-3-haiku-...". Anything else
 * (custom, imported and provisioned models, application inference profiles,
 * unknown shapes) is returned as it is. The record keeps the original. */
ev_str bedrock_model_key(ev_str id);

/* True if rec looks like an invocation log record: schemaType
 * "ModelInvocationLog", or requestId together with operation or modelId. */
bool bedrock_is_record(const json_value *rec);

/*
 * Fills ev from rec (ev->source = EV_SRC_INVOCATION, service "bedrock") and
 * derives the text fields from the inline bodies. fallback_time_us (or -1) is
 * used, with EV_F_TIME_FALLBACK, when the record has no timestamp (the
 * CloudWatch export prefix). Returns LT_OK; LT_EITEM with err->msg naming the
 * field when timestamp or requestId is missing/invalid (the event must not be
 * used); or LT_EITEM with ev fully usable and err->msg saying what was lost
 * when only the derived text was truncated or could not be allocated, or when
 * inputTokenCount/outputTokenCount is present but no whole number from 0 to
 * BEDROCK_MAX_TOKENS (that count is then -1, unknown, and not summed) — tell
 * the two apart with *usable (may be NULL).
 */
lt_status bedrock_fill(event *ev, const json_value *rec, int64_t fallback_time_us, arena *a,
                       bool *usable, lt_error *err) LT_WUR;

/*
 * Derives prompt/system from input_body and response/tool_calls/latency/
 * guardrail from output_body. A NULL body leaves the fields of its side as
 * they are (so the store can call it once more with only the resolved
 * external body). LT_OK, or LT_EITEM if a field hit BEDROCK_MAX_TEXT (kept
 * truncated) or the arena ran out (field left as it was).
 */
lt_status bedrock_derive(event *ev, const json_value *input_body, const json_value *output_body,
                         arena *a) LT_WUR;

#endif
